import Dispatch
import XCTest
@testable import GANTensor

/// The calling thread's identity as a number.
private func currentThread() -> UInt {
    #if canImport(Darwin)
    UInt(bitPattern: pthread_self())
    #else
    pthread_self()
    #endif
}

/// Runs `body` on a thread of its own and waits for it at most `seconds`: false if it did not
/// return in time (a lost wake-up hangs a parallel call; the test then fails instead of hanging).
private func finishesInTime(_ seconds: Double = 120, _ body: @escaping () -> Void) -> Bool {
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread { body(); done.signal() }
    return done.wait(timeout: .now() + seconds) == .success
}

final class ParallelTests: XCTestCase {
    func testPerformRunsEveryWorkerOnceOnDistinctThreads() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 5
        for workers in [2, 3, 5, 2] {
            var seen = [Int](repeating: 0, count: workers)
            var threads = [UInt](repeating: 0, count: workers)
            seen.withUnsafeMutableBufferPointer { seen in
                threads.withUnsafeMutableBufferPointer { threads in
                    Parallel.perform(workers) { w in
                        seen[w] += 1
                        threads[w] = currentThread()
                    }
                }
            }
            XCTAssertEqual(seen, [Int](repeating: 1, count: workers))
            XCTAssertEqual(Set(threads).count, workers, "each worker of a \(workers)-worker call has its own thread")
            XCTAssertEqual(threads[0], currentThread(), "worker 0 is the caller")
        }
    }

    func testMoreWorkersThanThreadsShareTheThreads() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 2
        var seen = [Int](repeating: 0, count: 13)
        var threads = [UInt](repeating: 0, count: 13)
        seen.withUnsafeMutableBufferPointer { seen in
            threads.withUnsafeMutableBufferPointer { threads in
                Parallel.perform(13) { w in
                    seen[w] += 1
                    threads[w] = currentThread()
                }
            }
        }
        XCTAssertEqual(seen, [Int](repeating: 1, count: 13))
        XCTAssertEqual(Set(threads).count, 2, "13 workers on 2 threads")
        XCTAssertEqual(threads[0], currentThread())
        XCTAssertTrue(stride(from: 0, to: 13, by: 2).allSatisfy { threads[$0] == threads[0] }, "worker w on thread w mod 2")
    }

    func testNestedCallRunsSeriallyInsideTheOuterOne() {
        let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: 3)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0)
        Parallel.perform(3) { outer in
            Parallel.perform(4) { inner in sums[outer] += inner + 1 }
        }
        XCTAssertEqual(Array(sums), [10, 10, 10])
    }

    func testCallsFromManyThreadsAtOnceAllComplete() {
        // Several threads share the pool: one gets it, the others run their calls serially.
        let n = 1 << 16
        let x = RandomGenerator(seed: 3).normal([n])
        let expected = x.map { $0 * 2 + 1 }
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 8)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            var ok = true
            for _ in 0..<50 { ok = ok && x.map { $0 * 2 + 1 } == expected }
            results[i] = ok
        }
        XCTAssertEqual(Array(results), [Bool](repeating: true, count: 8))
    }

    func testCallsCompleteWhateverTheGapBetweenThem() {
        // Helpers spin for a while after a call, then sleep: calls that arrive during the spin,
        // as it gives up, and long after must all wake them. Short spins put many calls near the
        // moment a helper gives up. A lost wake-up hangs the call, so the calls run on another
        // thread and the test waits a bounded time.
        let (savedThreads, savedSpin) = (Parallel.threadCount, WorkerPool.spinLimit)
        defer { (Parallel.threadCount, WorkerPool.spinLimit) = (savedThreads, savedSpin) }
        Parallel.threadCount = 3
        let spins = [0, 1, 16, 256, 4_096], callsPerSpin = 2_000
        nonisolated(unsafe) let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 3)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        let finished = finishesInTime {
            let gaps = RandomGenerator(seed: 11).uniform([callsPerSpin], low: 0, high: 30)
            for spin in spins {
                WorkerPool.spinLimit = spin
                for call in 0..<callsPerSpin {
                    Parallel.perform(2 + call % 2) { w in counts[w] += 1 }
                    if gaps[call] >= 10 { usleep(UInt32(gaps[call])) }  // none, or 10 to 30 µs
                }
            }
        }
        XCTAssertTrue(finished, "a parallel call never finished")
        let calls = spins.count * callsPerSpin
        XCTAssertEqual(Array(counts), [calls, calls, calls / 2])
    }

    func testPoolThatCannotStartAThreadRunsTheCallOnTheCaller() {
        // A helper that never started must not leave the caller waiting for it.
        nonisolated(unsafe) var refusals = 0
        let pool = WorkerPool(startThread: { _ in refusals += 1; return false })
        let call = threadsOfCall(pool, workers: 3)
        XCTAssertNotNil(call, "the call waited for a helper that never started")
        XCTAssertEqual(call?.workers, [UInt](repeating: call?.caller ?? 0, count: 3))
        XCTAssertEqual(refusals, 1)
        let next = threadsOfCall(pool, workers: 2)
        XCTAssertEqual(next?.workers, [UInt](repeating: next?.caller ?? 0, count: 2))
        XCTAssertEqual(refusals, 1, "a refused helper is not asked for again on every call")
    }

    func testPoolUsesTheHelpersItCouldStart() {
        nonisolated(unsafe) var allowed = 1
        let pool = WorkerPool(startThread: { body in
            allowed -= 1
            return allowed >= 0 && WorkerPool.startDetachedThread(body)
        })
        // Helper 1 starts, helper 2 is refused: the 3-worker call runs on the caller and helper
        // 1, worker w on thread w mod 2.
        let first = threadsOfCall(pool, workers: 3)
        XCTAssertNotNil(first, "the call waited for a helper that never started")
        XCTAssertEqual(first?.workers[0], first?.caller)
        XCTAssertEqual(first?.workers[2], first?.caller)
        XCTAssertNotEqual(first?.workers[1], first?.caller)
        XCTAssertNotEqual(first?.workers[1], 0)
        // A 2-worker call needs only helper 1, which runs worker 1.
        let second = threadsOfCall(pool, workers: 2)
        XCTAssertEqual(second?.workers[0], second?.caller)
        XCTAssertNotEqual(second?.workers[1], second?.caller)
        XCTAssertNotEqual(second?.workers[1], 0)
    }

    /// Runs a `workers`-worker call of `pool` on a thread of its own: the thread that ran each
    /// worker and the calling thread, or nil when the call did not return in time.
    private func threadsOfCall(_ pool: WorkerPool, workers: Int) -> (workers: [UInt], caller: UInt)? {
        nonisolated(unsafe) var threads = [UInt](repeating: 0, count: workers)
        nonisolated(unsafe) var caller: UInt = 0
        guard finishesInTime(120, {
            caller = currentThread()
            threads.withUnsafeMutableBufferPointer { t in pool.run(workers) { w in t[w] = currentThread() } }
        }) else { return nil }
        return (threads, caller)
    }

    func testForRangesCoversEveryIndexOnce() {
        let count = 200_003
        let hits = UnsafeMutableBufferPointer<Int32>.allocate(capacity: count)
        defer { hits.deallocate() }
        hits.initialize(repeating: 0)
        Parallel.forRanges(count, costPerElement: 7) { r in for i in r { hits[i] += 1 } }
        XCTAssertTrue(hits.allSatisfy { $0 == 1 })
    }

    /// A thread count below 1 (`gan-bench --threads 0`) is stored as 1: the kernels divide work
    /// by it.
    func testThreadCountIsAtLeastOne() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 0
        XCTAssertEqual(Parallel.threadCount, 1)
        Parallel.threadCount = -3
        XCTAssertEqual(Parallel.threadCount, 1)
        Parallel.threadCount = 2
        XCTAssertEqual(Parallel.threadCount, 2)
    }
}
