/// Reductions: sums over axes (accumulated in Double), unbroadcasting, and maxima with their indices.
extension Tensor {
    /// Sum of all elements, accumulated in Double.
    public func sumAll() -> Float { sumAll(of: { $0 }) }

    /// `Σ f(x)` over all elements, accumulated in Double: a statistic of a transform without
    /// materialising it.
    @inlinable
    public func sumAll(of f: (Float) -> Float) -> Float {
        withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(f(v)) }
            return Float(s)
        }
    }

    /// `Σ x²` over all elements: each block of 4,096 values is summed in 16 Float lanes, the
    /// blocks' sums are added in Double in order, so the result does not depend on the number
    /// of threads. (For gradient norms, which training computes every step.)
    public func sumOfSquares() -> Double {
        let block = 4096, blocks = (count + block - 1) / block
        guard blocks > 0 else { return 0 }
        let src = pointer
        // Block sums in a temporary: on the stack up to 128 blocks (512 Ki values; the standard
        // library keeps 1 KiB there), a heap temporary for larger tensors.
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: blocks) { out in
            let dst = out.baseAddress!
            Parallel.forRanges(blocks, costPerElement: block, SquaresOfBlocks(src: src, count: count, block: block, sums: dst))
            return out.reduce(0, +)
        }
    }

    /// One task per block of ``sumOfSquares()``: `sums[b] = Σ src[j]²` over block `b` of
    /// `block` values (the last shorter).
    private struct SquaresOfBlocks: ParallelLoop {
        let src: UnsafePointer<Float>, count: Int, block: Int, sums: UnsafeMutablePointer<Double>

        func run(_ blocks: Range<Int>) {
            for b in blocks {
                let start = b * block, end = Swift.min(count, start + block)
                var lanes = SIMD16<Float>()
                var j = start
                while j + 16 <= end {
                    let v = UnsafeRawPointer(src + j).loadUnaligned(as: SIMD16<Float>.self)
                    lanes += v * v    // (not addProduct: that calls libm's fmaf per lane)
                    j += 16
                }
                var tail: Float = 0
                while j < end { tail += src[j] * src[j]; j += 1 }
                sums[b] = Double(lanes.sum()) + Double(tail)
            }
        }
    }

    /// Mean of all elements (NaN when there are none).
    public func meanAll() -> Float { meanAll(of: { $0 }) }

    /// Mean of `f(x)` over all elements (NaN when there are none), without materialising `f(x)`.
    @inlinable
    public func meanAll(of f: (Float) -> Float) -> Float {
        count == 0 ? .nan : Float(Double(sumAll(of: f)) / Double(count))
    }

    /// Largest element (NaN if any element is NaN).
    public func maxAll() -> Float {
        withUnsafeBufferPointer { p in
            p.reduce(-Float.infinity) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
        }
    }

    /// Sum over `axes`; reduced dimensions are kept as 1 when `keepDims`, dropped otherwise.
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        var keep = [Bool](repeating: true, count: rank)
        for a in axes {
            let axis = a < 0 ? a + rank : a
            require(axis >= 0 && axis < rank, "sum(axes:): axis \(a) out of range for shape \(shape)")
            keep[axis] = false
        }
        let reduced = Tensor.reduceSum(self, keep: keep)
        if keepDims { return reduced }
        var dropped = [Int]()
        dropped.reserveCapacity(rank)
        for (extent, kept) in zip(shape, keep) where kept { dropped.append(extent) }
        return reduced.reshaped(dropped)
    }

    /// Sums `self` down to `target`, the inverse of broadcasting `target` up to `self.shape`:
    /// leading extra dimensions and dimensions where `target` has 1 are summed.
    public func sum(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let pad = rank - target.count
        require(pad >= 0, "sum(toShape:): cannot reduce shape \(shape) to the larger rank of \(target)")
        var keep = [Bool](repeating: false, count: rank)
        for i in 0..<target.count {
            let d = shape[i + pad], t = target[i]
            require(t == d || t == 1, "sum(toShape:): shape \(shape) does not broadcast from \(target)")
            keep[i + pad] = t == d
        }
        return Tensor.reduceSum(self, keep: keep).reshaped(target)
    }

    /// Sum over the dimensions where `keep` is false; the result has 1 in those dimensions.
    static func reduceSum(_ x: Tensor, keep: [Bool]) -> Tensor {
        let shape = x.shape
        let outShape = zip(shape, keep).map { $1 ? $0 : 1 }
        var out = Tensor(uninitializedShape: outShape)
        let src = x.pointer, dst = out.storage.pointer
        if out.count == 0 { return out }
        if x.count == 0 { out.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }; return out }

        // Fast path: the reduced dimensions are a leading prefix ([N, F] → [1, F]):
        // out[j] = Σ_i x[i·inner + j], rows added in order.
        if let firstKept = keep.firstIndex(of: true), keep[firstKept...].allSatisfy({ $0 }),
           keep[..<firstKept].allSatisfy({ !$0 }) {
            let inner = out.count, outer = x.count / inner
            // Columns in blocks of 128 Double accumulators: 1 KiB, which the standard library
            // keeps on the stack (the 1,024 of the first version went to the heap).
            let columnBlock = 128
            Parallel.forRanges(inner, costPerElement: outer) { r in
                withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.min(r.count, columnBlock)) { acc in
                    for start in stride(from: r.lowerBound, to: r.upperBound, by: columnBlock) {
                        let width = Swift.min(columnBlock, r.upperBound - start)
                        acc.update(repeating: 0)
                        for i in 0..<outer {
                            let row = src + i * inner + start
                            for j in 0..<width { acc[j] += Double(row[j]) }
                        }
                        for j in 0..<width { dst[start + j] = Float(acc[j]) }
                    }
                }
            }
            return out
        }
        if !keep.contains(true) {
            dst[0] = x.sumAll()
            return out
        }

        // General case: kept dimensions index the output, reduced ones are walked by an odometer.
        let inStrides = Broadcast.strides(of: shape, broadcastTo: shape)
        var keptShape = [Int](), keptStrides = [Int](), redShape = [Int](), redStrides = [Int]()
        for i in shape.indices {
            if keep[i] { keptShape.append(shape[i]); keptStrides.append(inStrides[i]) }
            else { redShape.append(shape[i]); redStrides.append(inStrides[i]) }
        }
        let reducedPlan = StridedPlan(shape: redShape, strides: [redStrides])
        let rShape = reducedPlan.shape, rStrides = reducedPlan.strides[0]
        let innerN = rShape.last!, innerStride = rStrides.last!
        let outerShape = Array(rShape.dropLast()), outerStrides = Array(rStrides.dropLast())
        let outerCount = outerShape.reduce(1, *)
        Parallel.forRanges(out.count, costPerElement: x.count / out.count) { r in
            for o in r {
                // Offset of output element o in the input, from its kept multi-index.
                var rem = o, base = 0
                for d in stride(from: keptShape.count - 1, through: 0, by: -1) {
                    base += (rem % keptShape[d]) * keptStrides[d]
                    rem /= keptShape[d]
                }
                var acc = 0.0
                for q in 0..<outerCount {
                    var rq = q, off = base
                    for d in stride(from: outerShape.count - 1, through: 0, by: -1) {
                        off += (rq % outerShape[d]) * outerStrides[d]
                        rq /= outerShape[d]
                    }
                    for j in 0..<innerN { acc += Double(src[off + j * innerStride]) }
                }
                dst[o] = Float(acc)
            }
        }
        return out
    }

    /// Maximum over the last axis and the index of the first maximum: `[..., n] → [...]`.
    public func maxAlongLastAxis() -> (values: Tensor, indices: [Int32]) {
        require(rank >= 1 && shape.last! > 0, "maxAlongLastAxis: needs a non-empty last axis, got shape \(shape)")
        let n = shape.last!, rows = count / n
        let values = Tensor(uninitializedShape: Array(shape.dropLast()))
        var indices = [Int32](repeating: 0, count: rows)
        let src = pointer, dst = values.storage.pointer
        indices.withUnsafeMutableBufferPointer { idx in
            let ip = idx.baseAddress!
            Parallel.forRanges(rows, costPerElement: n) { r in
                for row in r {
                    let p = src + row * n
                    var best = p[0], at = 0
                    for j in 1..<n where p[j] > best { best = p[j]; at = j }
                    dst[row] = best
                    ip[row] = Int32(at)
                }
            }
        }
        return (values, indices)
    }
}
