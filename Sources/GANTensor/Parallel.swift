#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Atomics

/// Splits loops over large tensors across the machine's cores.
///
/// Work is divided by *output* element, never by partial sums, so every result is bit-identical
/// whatever the number of threads.
public enum Parallel {
    /// Worker threads used by every kernel, matrix products (``BLAS/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``) included.
    /// At least 1: a smaller value is stored as 1.
    nonisolated(unsafe) public static var threadCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount) {
        didSet { if threadCount < 1 { threadCount = 1 } }
    }

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
    /// and the caller's: worker `w` runs on thread `w mod threadCount`, worker 0 on the caller's;
    /// `w mod` the threads it has, if the system refused to start some)
    /// and returns when all have returned. One heap allocation per call:
    /// `withoutActuallyEscaping`, which hands the non-escaping `body` to the other threads, boxes
    /// it (Swift offers no other way to share a non-escaping closure).
    ///
    /// When the pool is already running a call (a nested call from inside `body`, or a second
    /// thread calling at the same time) the calls run one after another on the caller's thread
    /// instead: callers divide work so that the split never changes a result.
    public static func perform(_ workers: Int, _ body: (Int) -> Void) {
        if workers <= 1 || threadCount <= 1 {
            for w in 0..<max(workers, 0) { body(w) }
        } else {
            WorkerPool.shared.run(workers, threads: threadCount, body)
        }
    }
}

/// Threads that stay alive between parallel loops, so that starting one costs no thread and no
/// work item (`DispatchQueue.concurrentPerform` allocated two blocks per call, 15% of the heap
/// allocations of an MLP GAN step; this pool one, see ``Parallel/perform(_:_:)``).
/// The caller is worker 0; helpers 1, 2, … are started on first use, as many as the largest call
/// asked for (at most ``Parallel/threadCount`` − 1), and never stop.
///
/// Hand-offs spin before they sleep: a helper that finished its share watches for the next call
/// for ``spinLimit`` polls before it sleeps on a condition variable, and the caller watches its
/// helpers finish the same way. A training step makes hundreds of parallel calls a few
/// microseconds apart; waking a sleeping thread through the kernel costs about as much as the
/// small ones, so most calls should find their helpers awake.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// Polls of an atomic before a waiting thread sleeps: 2¹⁷ (tens of microseconds), or
    /// `SWIFTGAN_SPIN_POLLS` (0: sleep at once, for machines where the threads outnumber the cores
    /// the process may use, e.g. a container with a CPU quota). Tests shorten it.
    static var spinLimit: Int {
        get { spinPolls.load(ordering: .relaxed) }
        set { spinPolls.store(newValue, ordering: .relaxed) }
    }
    /// Atomic so that a change (tests make one) does not race the helpers reading it.
    private static let spinPolls = ManagedAtomic<Int>({
        let standard = 1 << 17
        guard let text = ProcessInfo.processInfo.environment["SWIFTGAN_SPIN_POLLS"] else { return standard }
        guard let polls = Int(text), polls >= 0 else {
            FileHandle.standardError.write(Data(
                "SwiftGAN: SWIFTGAN_SPIN_POLLS=\(text): expected a whole number ≥ 0 (polls before an idle worker sleeps); using \(standard)\n".utf8))
            return standard
        }
        return polls
    }())

    /// Held for the whole of one parallel call; a call that cannot take it runs serially.
    private let callLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Guards the sleeping flags and counts below, and the condition variables.
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Broadcast when a call starts and helpers are asleep; signalled when the last helper
    /// finishes and the caller is asleep.
    private let started = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// The current call, `generation << 16 | workers`: stored (releasing) after `body`, so a helper
    /// that loads (acquiring) a new value sees the new body. One word, so that a helper outside
    /// the call reads its worker count without racing the next call.
    private let call = ManagedAtomic<Int>(0)
    /// Helpers of the current call that have not finished yet.
    private let remaining = ManagedAtomic<Int>(0)
    /// The running call's body: valid only while `run` is on the stack, written only while no
    /// helper is inside a call.
    private var body: ((Int) -> Void)?
    /// Helpers asleep on `started`, and whether the caller sleeps on `finished` (under `lock`).
    private var sleepingHelpers = 0
    private var callerSleeps = false
    /// Helper threads started so far (they are workers 1...helpers), and whether the system
    /// refused one; touched under `callLock`.
    private var helpers = 0
    private var refused = false

    private static let workerBits = 16

    /// Starts a thread that runs the closure, or returns false when the system refuses one.
    typealias ThreadStarter = (@escaping () -> Void) -> Bool
    private let startThread: ThreadStarter

    /// A pool whose helpers `startThread` starts (tests pass one that refuses).
    init(startThread: @escaping ThreadStarter = WorkerPool.startDetachedThread) {
        self.startThread = startThread
        pthread_mutex_init(callLock, nil)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(started, nil)
        pthread_cond_init(finished, nil)
    }

    /// Runs `body(0)`, …, `body(workers − 1)` on at most `maximumThreads` threads, the caller's
    /// included: worker `w` on thread `w mod threads`, where `threads` is the smallest of the
    /// two counts and of the threads the pool has (fewer if the system refused some helpers).
    func run(_ workers: Int, threads maximumThreads: Int = .max, _ body: (Int) -> Void) {
        require(workers >= 1 && maximumThreads >= 1, "WorkerPool.run: \(workers) workers on \(maximumThreads) threads")
        guard pthread_mutex_trylock(callLock) == 0 else {
            for w in 0..<workers { body(w) }
            return
        }
        defer { pthread_mutex_unlock(callLock) }
        // (The call word holds the thread count in `workerBits` bits.)
        let threads = startHelpers(upTo: min(workers, maximumThreads, 1 << Self.workerBits - 1) - 1) + 1
        if threads == 1 {
            for w in 0..<workers { body(w) }
        } else if threads == workers {
            hand(workers, body)
        } else {
            hand(threads) { t in for w in stride(from: t, to: workers, by: threads) { body(w) } }
        }
    }

    /// Runs `body(0)` on the caller and `body(1)`, …, `body(workers − 1)` on helpers 1, 2, …,
    /// which must have started. Called with `callLock` held.
    private func hand(_ workers: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            self.body = body
            remaining.store(workers - 1, ordering: .relaxed)
            let generation = (call.load(ordering: .relaxed) >> Self.workerBits) &+ 1
            call.store(generation << Self.workerBits | workers, ordering: .releasing)
            pthread_mutex_lock(lock)
            if sleepingHelpers > 0 { pthread_cond_broadcast(started) }
            pthread_mutex_unlock(lock)

            body(0)

            if !Self.spin(until: { remaining.load(ordering: .acquiring) == 0 }) {
                pthread_mutex_lock(lock)
                callerSleeps = true
                while remaining.load(ordering: .acquiring) > 0 { pthread_cond_wait(finished, lock) }
                callerSleeps = false
                pthread_mutex_unlock(lock)
            }
            self.body = nil
        }
    }

    /// Polls `condition` up to ``spinLimit`` times; true as soon as it holds.
    @inline(__always)
    private static func spin(until condition: () -> Bool) -> Bool {
        for _ in 0..<spinLimit where condition() { return true }
        return false
    }

    /// Starts helper threads until there are `count` and returns how many run, fewer once the
    /// system refused one: the calls then use the helpers that started (a helper that never
    /// started would leave the caller waiting for it), and no more are asked for — a refusal
    /// (a thread limit, no memory for a stack) is reported once on stderr, not retried on
    /// every call. Called with `callLock` held.
    private func startHelpers(upTo count: Int) -> Int {
        while helpers < count && !refused {
            // The call about to start comes after `seen`: the new helper must not skip it.
            let index = helpers + 1, seen = call.load(ordering: .relaxed)
            // The helper holds its pool for good: helpers never stop, so neither does the pool.
            guard startThread({ [self] in
                Thread.current.name = "SwiftGAN \(index)"  // for debuggers and profilers (≤ 15 bytes on Linux)
                self.helperLoop(index: index, seen: seen)
            }) else {
                refused = true
                FileHandle.standardError.write(Data(
                    "SwiftGAN: the system refused to start worker thread \(index + 1); parallel loops run on \(index) thread(s)\n".utf8))
                break
            }
            helpers = index
        }
        return min(helpers, count)
    }

    /// Runs `body` on a new detached thread with an 8 MiB stack; false if `pthread_create` fails.
    static func startDetachedThread(_ body: @escaping () -> Void) -> Bool {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 8 << 20)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        guard pthread_create(&thread, &attributes, runThreadBody, context) == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            return false
        }
        return true
    }

    /// Helper `index`: waits for each call after `seen` and runs its share when the call asked
    /// for it.
    private func helperLoop(index: Int, seen: Int) {
        var seen = seen
        while true {
            var current = call.load(ordering: .acquiring)
            if current == seen, !Self.spin(until: {
                current = call.load(ordering: .acquiring)
                return current != seen
            }) {
                pthread_mutex_lock(lock)
                sleepingHelpers += 1
                // Loaded again under the lock: a call stored after this load finds the helper
                // counted as asleep and broadcasts.
                current = call.load(ordering: .acquiring)
                while current == seen {
                    pthread_cond_wait(started, lock)
                    current = call.load(ordering: .acquiring)
                }
                sleepingHelpers -= 1
                pthread_mutex_unlock(lock)
            }
            seen = current
            guard index < current & (1 << Self.workerBits - 1) else { continue }
            runShare(index)
            if remaining.loadThenWrappingDecrement(ordering: .acquiringAndReleasing) == 1 {
                pthread_mutex_lock(lock)
                if callerSleeps { pthread_cond_signal(finished) }
                pthread_mutex_unlock(lock)
            }
        }
    }

    /// Runs `body(index)`. Its copy of the body is released on return, before the caller can see
    /// the share finished (the caller's `withoutActuallyEscaping` checks that nothing kept it).
    @inline(never)
    private func runShare(_ index: Int) {
        let body = self.body!
        body(index)
    }
}

/// A thread's closure, handed to `pthread_create` as its context.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

#if canImport(Darwin)
private func runThreadBody(_ context: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
    Unmanaged<ThreadBody>.fromOpaque(context).takeRetainedValue().run()
    return nil
}
#else
private func runThreadBody(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
    return nil
}
#endif
