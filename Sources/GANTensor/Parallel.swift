import Dispatch
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
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = w * chunk
            let end = min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }
}
