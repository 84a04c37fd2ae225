/// Batch-normalisation kernels: one pass for the statistics and one for the output, and one
/// fused backward pass, instead of the eight elementwise passes and four reductions of the
/// composite form. Statistics are accumulated in Double, one channel per task, so results do
/// not depend on the number of threads. Within a channel each plane of `P` values is summed in
/// Float SIMD lanes and the plane sums are added in Double: a single Double accumulator chains
/// every addition on the previous one (4 cycles each) and made batch norm a tenth of a DCGAN step.
///
/// Layout: `x` is `[N, C]` or `[N, C, H, W]`, seen as `[N, C, P]` with `P = H·W` (or 1); channel
/// `c` is every `x[n, c, p]`, `M = N·P` values.
public enum NormalizationKernels {
    /// Per-channel statistics of a batch-norm forward pass.
    public struct Statistics {
        /// `μ[c]`, `[C]`.
        public var mean: Tensor
        /// Biased variance `σ²[c] = Σ (x − μ)² / M`, `[C]`.
        public var variance: Tensor
        /// `1 / √(σ²[c] + ε)`, `[C]`.
        public var inverseStandardDeviation: Tensor
    }

    /// `y[n, c, p] = (x[n, c, p] − μ[c]) · invStd[c] · weight[c] + bias[c]` with batch statistics.
    /// `weight`, `bias`: `[C]` or nil (1 and 0).
    public static func batchNormForward(_ x: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Float)
        -> (output: Tensor, statistics: Statistics)
    {
        let (n, c, p) = dimensions(x)
        let channelShape = [c]  // one shape array shared by the three statistics
        let mean = Tensor(uninitializedShape: channelShape), variance = Tensor(uninitializedShape: channelShape)
        let invStd = Tensor(uninitializedShape: channelShape), y = Tensor(uninitializedShape: x.shape)
        let src = x.pointer, dst = y.storage.pointer
        let pm = mean.storage.pointer, pv = variance.storage.pointer, pi = invStd.storage.pointer
        let w = weight?.pointer, b = bias?.pointer
        let m = Double(n * p)
        Parallel.forRanges(c, costPerElement: 3 * n * p) { channels in
            for ch in channels {
                // Two passes over the channel: mean, then the centred sum of squares (stable).
                var sum = 0.0
                for i in 0..<n { sum += planeSums(src + (i * c + ch) * p, nil, count: p, center: 0).sum }
                let mu = sum / m
                var squares = 0.0
                for i in 0..<n { squares += planeCentredSquares(src + (i * c + ch) * p, count: p, center: Float(mu)) }
                let varianceValue = squares / m
                let inv = Float(1 / (varianceValue + Double(epsilon)).squareRoot())
                pm[ch] = Float(mu); pv[ch] = Float(varianceValue); pi[ch] = inv
                // y = x · scale + shift with scale = w · invStd, shift = b − μ · scale.
                let scale = (w?[ch] ?? 1) * inv, shift = (b?[ch] ?? 0) - Float(mu) * scale
                for i in 0..<n {
                    let from = src + (i * c + ch) * p, to = dst + (i * c + ch) * p
                    for j in 0..<p { to[j] = from[j] * scale + shift }
                }
            }
        }
        return (y, Statistics(mean: mean, variance: variance, inverseStandardDeviation: invStd))
    }

    /// Gradients of ``batchNormForward(_:weight:bias:epsilon:)`` given `dy = ∂L/∂y`, with
    /// `x̂ = (x − μ)·invStd`:
    /// `dbias[c] = Σ dy`, `dweight[c] = Σ dy·x̂`,
    /// `dx = weight[c]·invStd[c] · (dy − dbias[c]/M − x̂·dweight[c]/M)` (the batch statistics
    /// depend on `x`, as in PyTorch's training-mode backward).
    public static func batchNormBackward(
        _ dy: Tensor, input x: Tensor, weight: Tensor?, statistics s: Statistics
    ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        precondition(dy.shape == x.shape, "batchNorm backward: gradient shape \(dy.shape) differs from input shape \(x.shape)")
        let (n, c, p) = dimensions(x)
        let dx = Tensor(uninitializedShape: x.shape)
        let channelShape = [c]
        let dw = Tensor(uninitializedShape: channelShape), db = Tensor(uninitializedShape: channelShape)
        let px = x.pointer, pg = dy.pointer, pdx = dx.storage.pointer
        let pdw = dw.storage.pointer, pdb = db.storage.pointer
        let pm = s.mean.pointer, pi = s.inverseStandardDeviation.pointer, w = weight?.pointer
        let m = Float(n * p)
        Parallel.forRanges(c, costPerElement: 3 * n * p) { channels in
            for ch in channels {
                let mu = pm[ch], inv = pi[ch]
                // Σ dy and Σ dy·(x − μ); the latter times invStd is Σ dy·x̂.
                var sumG = 0.0, sumGCentred = 0.0
                for i in 0..<n {
                    let sums = planeSums(pg + (i * c + ch) * p, px + (i * c + ch) * p, count: p, center: mu)
                    sumG += sums.sum; sumGCentred += sums.sumOfProducts
                }
                let sumGXhat = sumGCentred * Double(inv)
                pdb[ch] = Float(sumG); pdw[ch] = Float(sumGXhat)
                let k = (w?[ch] ?? 1) * inv
                let meanG = Float(sumG) / m, meanGXhat = Float(sumGXhat) / m
                for i in 0..<n {
                    let xs = px + (i * c + ch) * p, gs = pg + (i * c + ch) * p, out = pdx + (i * c + ch) * p
                    for j in 0..<p {
                        let xhat = (xs[j] - mu) * inv
                        out[j] = k * (gs[j] - meanG - xhat * meanGXhat)
                    }
                }
            }
        }
        return (dx, dw, db)
    }

    /// `y[n, c, p] = x[n, c, p] · scale[c] + shift[c]` in one pass (evaluation-mode batch norm
    /// with folded statistics). `scale`: `[C]`; `shift`: `[C]` or nil (0).
    public static func channelAffine(_ x: Tensor, scale: Tensor, shift: Tensor?) -> Tensor {
        let (n, c, p) = dimensions(x)
        precondition(scale.count == c && (shift?.count ?? c) == c,
                     "channelAffine: scale \(scale.shape) and shift \(shift?.shape ?? []) must have \(c) values for input \(x.shape)")
        let y = Tensor(uninitializedShape: x.shape)
        let src = x.pointer, dst = y.storage.pointer, a = scale.pointer, b = shift?.pointer
        Parallel.forRanges(n * c, costPerElement: p) { planes in
            for plane in planes {
                let ch = plane % c, k = a[ch], d = b?[ch] ?? 0
                let from = src + plane * p, to = dst + plane * p
                for j in 0..<p { to[j] = from[j] * k + d }
            }
        }
        return y
    }

    /// Over one plane of `count` values: `sum = Σ a[j]` and `sumOfProducts = Σ a[j]·(b[j] − center)`
    /// (`b` nil: only `sum`), in 16 Float lanes, the lanes added in Double at the end.
    @inline(__always)
    private static func planeSums(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, count: Int, center: Float
    ) -> (sum: Double, sumOfProducts: Double) {
        var sum = SIMD16<Float>(), products = SIMD16<Float>()
        var j = 0
        let vectors = count / 16 * 16
        let ra = UnsafeRawPointer(a)
        if let b {
            let rb = UnsafeRawPointer(b), c = SIMD16<Float>(repeating: center)
            while j < vectors {
                let va = ra.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
                let vb = rb.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
                sum += va
                products += va * (vb - c)
                j += 16
            }
        } else {
            while j < vectors {
                sum += ra.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
                j += 16
            }
        }
        var total = 0.0, totalProducts = 0.0
        for lane in 0..<16 { total += Double(sum[lane]); totalProducts += Double(products[lane]) }
        while j < count {
            total += Double(a[j])
            if let b { totalProducts += Double(a[j]) * Double(b[j] - center) }
            j += 1
        }
        return (total, totalProducts)
    }

    /// `Σ (a[j] − center)²` over one plane of `count` values, in 16 Float lanes added in Double.
    @inline(__always)
    private static func planeCentredSquares(_ a: UnsafePointer<Float>, count: Int, center: Float) -> Double {
        var squares = SIMD16<Float>()
        let c = SIMD16<Float>(repeating: center), ra = UnsafeRawPointer(a)
        var j = 0
        while j + 16 <= count {
            let d = ra.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self) - c
            squares += d * d
            j += 16
        }
        var total = 0.0
        for lane in 0..<16 { total += Double(squares[lane]) }
        while j < count { let d = Double(a[j] - center); total += d * d; j += 1 }
        return total
    }

    /// `(N, C, P)` of a `[N, C]` or `[N, C, H, W]` tensor.
    private static func dimensions(_ x: Tensor) -> (Int, Int, Int) {
        precondition(x.rank == 2 || x.rank == 4, "batchNorm: expected [N, C] or [N, C, H, W], got \(x.shape)")
        return (x.shape[0], x.shape[1], x.rank == 4 ? x.shape[2] * x.shape[3] : 1)
    }
}
