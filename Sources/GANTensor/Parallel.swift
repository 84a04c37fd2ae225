#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Splits loops over large tensors across the machine's cores.
///
/// Work is divided by *output* element, never by partial sums, so every result is bit-identical
/// whatever the number of threads.
public enum Parallel {
    /// Worker threads used by every kernel, matrix products (``BLAS/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``) included.
    nonisolated(unsafe) public static var threadCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Below this many elements a loop runs on the calling thread: waking a worker costs more.
    public static let minimumElementsPerThread = 1 << 15

    /// Calls `body` on disjoint contiguous ranges that cover `0..<count`, in parallel when
    /// `count * costPerElement` is large enough to pay for the threads.
    @inlinable
    public static func forRanges(
        _ count: Int, costPerElement: Int = 1, _ body: (Range<Int>) -> Void
    ) {
        let work = count * max(costPerElement, 1)
        let workers = min(threadCount, work / minimumElementsPerThread)
        if workers <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        let chunk = (count + workers - 1) / workers
        perform(workers) { w in
            let start = w * chunk
            let end = min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }

    /// Calls `body(0)`, …, `body(workers - 1)` on ``threadCount`` threads at most (the pool's
    /// and the caller's: worker `w` runs on thread `w mod threadCount`, worker 0 on the caller's)
    /// and returns when all have returned. One heap allocation per call:
    /// `withoutActuallyEscaping`, which hands the non-escaping `body` to the other threads, boxes
    /// it (Swift offers no other way to share a non-escaping closure).
    ///
    /// When the pool is already running a call (a nested call from inside `body`, or a second
    /// thread calling at the same time) the calls run one after another on the caller's thread
    /// instead: callers divide work so that the split never changes a result.
    public static func perform(_ workers: Int, _ body: (Int) -> Void) {
        let threads = min(workers, max(1, threadCount))
        if threads <= 1 {
            for w in 0..<max(workers, 0) { body(w) }
        } else if threads == workers {
            WorkerPool.shared.run(workers, body)
        } else {
            WorkerPool.shared.run(threads) { t in
                for w in stride(from: t, to: workers, by: threads) { body(w) }
            }
        }
    }
}

/// Threads that stay alive between parallel loops, so that starting one costs no thread and no
/// work item (`DispatchQueue.concurrentPerform` allocated two blocks per call, 15% of the heap
/// allocations of an MLP GAN step; this pool one, see ``Parallel/perform(_:_:)``).
/// The caller is worker 0; helpers 1, 2, … sleep on a condition variable until a call needs
/// them. Helpers are started on first use, as many as the largest call asked for (at most
/// ``Parallel/threadCount`` − 1), and never stop.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// Held for the whole of one parallel call; a call that cannot take it runs serially.
    private let callLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Guards every field below.
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Signalled when a call starts (helpers wait on it) and when a helper finishes (the caller waits).
    private let started = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// The running call's body (valid only while `run` is on the stack) and its worker count.
    private var body: ((Int) -> Void)?
    private var workers = 0
    /// Incremented by each call; a helper runs each generation once.
    private var generation = 0
    /// Helpers of the current call that have not finished yet.
    private var remaining = 0
    /// Helper threads started so far (they are workers 1...helpers).
    private var helpers = 0

    private init() {
        pthread_mutex_init(callLock, nil)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(started, nil)
        pthread_cond_init(finished, nil)
    }

    func run(_ workers: Int, _ body: (Int) -> Void) {
        guard pthread_mutex_trylock(callLock) == 0 else {
            for w in 0..<workers { body(w) }
            return
        }
        defer { pthread_mutex_unlock(callLock) }
        startHelpers(upTo: workers - 1)
        withoutActuallyEscaping(body) { body in
            pthread_mutex_lock(lock)
            self.body = body
            self.workers = workers
            remaining = workers - 1
            generation &+= 1
            pthread_cond_broadcast(started)
            pthread_mutex_unlock(lock)

            body(0)

            pthread_mutex_lock(lock)
            while remaining > 0 { pthread_cond_wait(finished, lock) }
            self.body = nil
            pthread_mutex_unlock(lock)
        }
    }

    /// Starts helper threads until there are `count`. Called with `callLock` held.
    private func startHelpers(upTo count: Int) {
        while helpers < count {
            helpers += 1
            // The call about to start is generation + 1: the new helper must not skip it.
            let index = helpers, seen = generation
            let thread = Thread { [unowned self] in self.helperLoop(index: index, seen: seen) }
            thread.name = "SwiftGAN worker \(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Helper `index`: waits for each generation after `seen` and runs its share when the call
    /// asked for it.
    private func helperLoop(index: Int, seen: Int) {
        var seen = seen
        pthread_mutex_lock(lock)
        while true {
            while generation == seen { pthread_cond_wait(started, lock) }
            seen = generation
            guard index < workers else { continue }
            runShare(index)
            remaining -= 1
            if remaining == 0 { pthread_cond_signal(finished) }
        }
    }

    /// Runs `body(index)` outside the lock; called and returning with the lock held. Its copy of
    /// the body is released on return, before the caller can see the share finished (the caller's
    /// `withoutActuallyEscaping` checks that nothing kept it).
    @inline(never)
    private func runShare(_ index: Int) {
        let body = self.body!
        pthread_mutex_unlock(lock)
        body(index)
        pthread_mutex_lock(lock)
    }
}
