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

    /// How many workers a loop over `count` elements of `costPerElement` each gets: 1 (the
    /// caller alone) below ``minimumElementsPerThread`` units of work per thread.
    @inlinable @usableFromInline
    static func workers(forCount count: Int, costPerElement: Int) -> Int {
        min(threadCount, count * max(costPerElement, 1) / minimumElementsPerThread)
    }

    /// Calls `body` on disjoint contiguous ranges that cover `0..<count`, in parallel when
    /// `count * costPerElement` is large enough to pay for the threads. One heap allocation per
    /// parallel call (see ``perform(_:_:)-closure``); the kernels of a training step pass a
    /// ``ParallelLoop`` instead.
    @inlinable
    public static func forRanges(
        _ count: Int, costPerElement: Int = 1, _ body: (Range<Int>) -> Void
    ) {
        let workers = workers(forCount: count, costPerElement: costPerElement)
        if workers <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            forRanges(count, costPerElement: costPerElement, ClosureLoop(body: body))
        }
    }

    /// Runs `loop` over disjoint contiguous ranges that cover `0..<count`, as
    /// ``forRanges(_:costPerElement:_:)-closure`` does a closure, without allocating: the loop
    /// is a value the worker threads read from the caller's stack.
    public static func forRanges<Loop: ParallelLoop>(_ count: Int, costPerElement: Int = 1, _ loop: Loop) {
        let workers = workers(forCount: count, costPerElement: costPerElement)
        if workers <= 1 {
            if count > 0 { loop.run(0..<count) }
            return
        }
        WorkerPool.shared.run(workers, threads: threadCount, Shares(loop: loop, count: count, workers: workers))
    }

    /// Runs `loop` over `0..<workers`, one index per worker on threads as
    /// ``perform(_:_:)-closure`` runs its closure (`loop.run(w..<w + 1)` for worker `w`; on one
    /// thread, one call over the whole range), without allocating.
    public static func perform<Loop: ParallelLoop>(_ workers: Int, _ loop: Loop) {
        if workers <= 1 || threadCount <= 1 {
            if workers > 0 { loop.run(0..<workers) }
        } else {
            WorkerPool.shared.run(workers, threads: threadCount, Shares(loop: loop, count: workers, workers: workers))
        }
    }

    /// Calls `body(0)`, …, `body(workers - 1)` on ``threadCount`` threads at most (the pool's
    /// and the caller's: worker `w` runs on thread `w mod threadCount`, worker 0 on the caller's;
    /// `w mod` the threads it has, if the system refused to start some)
    /// and returns when all have returned. One heap allocation per call:
    /// `withoutActuallyEscaping`, which hands the non-escaping `body` to the other threads, boxes
    /// it (Swift offers no other way to share a non-escaping closure: passing it on, storing it
    /// or taking its address each allocated at least once per call in a test program). A
    /// ``ParallelLoop`` value costs none.
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

/// The body of a parallel loop as a value: the operands a closure would capture are its stored
/// properties, and ``run(_:)`` is the loop over one share of the index space. The worker
/// threads read it where the caller keeps it, so a call allocates nothing (a closure is boxed
/// on the heap on every parallel call). The kernels of a training step are written this way;
/// one-off loops use the closure forms of ``Parallel``.
public protocol ParallelLoop {
    /// The loop body for every index in `range`, a contiguous share of the loop's `0..<count`.
    func run(_ range: Range<Int>)
}

/// What ``WorkerPool`` runs: one share per worker.
protocol WorkerShares {
    func run(worker: Int)
}

/// `loop` over `0..<count` cut into `workers` contiguous ranges of equal length (the last
/// shorter or empty).
struct Shares<Loop: ParallelLoop>: WorkerShares {
    let loop: Loop
    let count: Int
    let chunk: Int

    init(loop: Loop, count: Int, workers: Int) {
        self.loop = loop
        self.count = count
        chunk = (count + workers - 1) / workers
    }

    func run(worker w: Int) {
        let start = w * chunk, end = Swift.min(count, start + chunk)
        if start < end { loop.run(start..<end) }
    }
}

/// A closure as a loop (the closure forms of ``Parallel``: its caller's
/// `withoutActuallyEscaping` allocated the box).
@usableFromInline
struct ClosureLoop: ParallelLoop {
    @usableFromInline let body: (Range<Int>) -> Void
    @inlinable init(body: @escaping (Range<Int>) -> Void) { self.body = body }
    @inlinable func run(_ range: Range<Int>) { body(range) }
}

/// A closure of the worker index as a pool's shares.
struct ClosureShares: WorkerShares {
    let body: (Int) -> Void
    func run(worker w: Int) { body(w) }
}

/// `shares` for `workers` workers on `threads` threads: thread `t` runs workers `t`,
/// `t + threads`, … in turn.
struct Interleaved<Inner: WorkerShares>: WorkerShares {
    let inner: Inner
    let workers: Int
    let threads: Int

    func run(worker t: Int) {
        for w in stride(from: t, to: workers, by: threads) { inner.run(worker: w) }
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

    /// The current call, `generation << 16 | workers`: stored (releasing) after `shares`, so a
    /// helper that loads (acquiring) a new value sees the new shares. One word, so that a helper
    /// outside the call reads its worker count without racing the next call.
    private let call = ManagedAtomic<Int>(0)
    /// Helpers of the current call that have not finished yet.
    private let remaining = ManagedAtomic<Int>(0)
    /// The running call's shares, where its caller keeps them, and their type: valid only
    /// while `run` is on the stack, written only while no helper is inside a call.
    private var shares: UnsafeRawPointer?
    private var sharesType: (any WorkerShares.Type)?
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
        withoutActuallyEscaping(body) { body in
            run(workers, threads: maximumThreads, ClosureShares(body: body))
        }
    }

    /// Runs `shares.run(worker: 0)`, …, `shares.run(worker: workers − 1)` as
    /// ``run(_:threads:_:)-closure`` runs its closure.
    func run<Shares: WorkerShares>(_ workers: Int, threads maximumThreads: Int = .max, _ shares: Shares) {
        require(workers >= 1 && maximumThreads >= 1, "WorkerPool.run: \(workers) workers on \(maximumThreads) threads")
        guard pthread_mutex_trylock(callLock) == 0 else {
            for w in 0..<workers { shares.run(worker: w) }
            return
        }
        defer { pthread_mutex_unlock(callLock) }
        // (The call word holds the thread count in `workerBits` bits.)
        let threads = startHelpers(upTo: min(workers, maximumThreads, 1 << Self.workerBits - 1) - 1) + 1
        if threads == 1 {
            for w in 0..<workers { shares.run(worker: w) }
        } else if threads == workers {
            hand(workers, shares)
        } else {
            hand(threads, Interleaved(inner: shares, workers: workers, threads: threads))
        }
    }

    /// Runs `shares.run(worker: 0)` on the caller and workers 1, 2, …, `workers − 1` on helpers
    /// 1, 2, …, which must have started; they read `shares` on the caller's stack. Called with
    /// `callLock` held.
    private func hand<Shares: WorkerShares>(_ workers: Int, _ shares: Shares) {
        withUnsafePointer(to: shares) { shared in
            self.shares = UnsafeRawPointer(shared)
            sharesType = Shares.self
            remaining.store(workers - 1, ordering: .relaxed)
            let generation = (call.load(ordering: .relaxed) >> Self.workerBits) &+ 1
            call.store(generation << Self.workerBits | workers, ordering: .releasing)
            pthread_mutex_lock(lock)
            if sleepingHelpers > 0 { pthread_cond_broadcast(started) }
            pthread_mutex_unlock(lock)

            shares.run(worker: 0)

            if !Self.spin(until: { remaining.load(ordering: .acquiring) == 0 }) {
                pthread_mutex_lock(lock)
                callerSleeps = true
                while remaining.load(ordering: .acquiring) > 0 { pthread_cond_wait(finished, lock) }
                callerSleeps = false
                pthread_mutex_unlock(lock)
            }
            self.shares = nil
            sharesType = nil
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

    /// Runs share `index` of the current call. Whatever it copies out of the shares (a closure's
    /// context) is released on return, before the caller can see the share finished (the
    /// closure forms' `withoutActuallyEscaping` checks that nothing kept the closure).
    @inline(never)
    private func runShare(_ index: Int) {
        func run<Shares: WorkerShares>(_: Shares.Type) {
            shares!.assumingMemoryBound(to: Shares.self).pointee.run(worker: index)
        }
        run(sharesType!)
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
