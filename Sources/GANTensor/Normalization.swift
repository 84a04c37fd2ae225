/// Batch-normalisation kernels: one pass for the statistics and one for the output, and one
/// fused backward pass, instead of the eight elementwise passes and four reductions of the
/// composite form. Statistics are accumulated in Double, one channel per task, so results do
/// not depend on the number of threads. Within a channel, groups of planes of `P` values are
/// summed in Float SIMD lanes and the groups' lanes added in Double lanes: a single Double
/// accumulator chains every addition on the previous one (4 cycles each) and made batch norm a
/// tenth of a DCGAN step.
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

    /// `y[n, c, p] = f((x[n, c, p] − μ[c]) · invStd[c] · weight[c] + bias[c])` with batch statistics,
    /// `f` the identity, or LeakyReLU with negative slope `activationSlope` (0: ReLU) fused into the
    /// same pass (see ``affineRow(_:_:count:scale:shift:activationSlope:)``).
    /// `weight`, `bias`: `[C]` or nil (1 and 0).
    public static func batchNormForward(
        _ x: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Float, activationSlope: Float? = nil
    ) -> (output: Tensor, statistics: Statistics) {
        checkActivationSlope(activationSlope)
        let (n, c, p) = dimensions(x)
        checkChannelCount(c, "weight", weight); checkChannelCount(c, "bias", bias)
        let channelShape = [c]  // one shape array shared by the three statistics
        let mean = Tensor(uninitializedShape: channelShape), variance = Tensor(uninitializedShape: channelShape)
        let invStd = Tensor(uninitializedShape: channelShape), y = Tensor(uninitializedShape: x.shape)
        Parallel.forRanges(c, costPerElement: 3 * n * p, ForwardChannels(
            src: x.pointer, dst: y.storage.pointer, mean: mean.storage.pointer, variance: variance.storage.pointer,
            invStd: invStd.storage.pointer, weight: weight?.pointer, bias: bias?.pointer,
            n: n, c: c, p: p, epsilon: epsilon, activationSlope: activationSlope))
        return (y, Statistics(mean: mean, variance: variance, inverseStandardDeviation: invStd))
    }

    /// One task per channel of ``batchNormForward(_:weight:bias:epsilon:activationSlope:)``.
    private struct ForwardChannels: ParallelLoop {
        let src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>
        let mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>
        let weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?
        let n: Int, c: Int, p: Int, epsilon: Float, activationSlope: Float?

        func run(_ channels: Range<Int>) {
            let pm = mean, pv = variance, pi = invStd, w = weight, b = bias
            let m = Double(n * p)
            for ch in channels {
                // Two passes over the channel: mean, then the centred sum of squares (stable).
                let first = src + ch * p
                let mu = channelSums(first, nil, planes: n, stride: c * p, count: p, center: 0).sum / m
                let varianceValue = channelCentredSquares(first, planes: n, stride: c * p, count: p, center: Float(mu)) / m
                let inv = Float(1 / (varianceValue + Double(epsilon)).squareRoot())
                pm[ch] = Float(mu); pv[ch] = Float(varianceValue); pi[ch] = inv
                // y = f(x · scale + shift) with scale = w · invStd, shift = b − μ · scale.
                let scale = (w?[ch] ?? 1) * inv, shift = (b?[ch] ?? 0) - Float(mu) * scale
                for i in 0..<n {
                    let plane = (i * c + ch) * p
                    affineRow(src + plane, dst + plane, count: p, scale: scale, shift: shift, activationSlope: activationSlope)
                }
            }
        }
    }

    /// Gradients of ``batchNormForward(_:weight:bias:epsilon:activationSlope:)`` without an
    /// activation given `dy = ∂L/∂y`, with `x̂ = (x − μ)·invStd`:
    /// `dbias[c] = Σ dy`, `dweight[c] = Σ dy·x̂`,
    /// `dx = weight[c]·invStd[c] · (dy − dbias[c]/M − x̂·dweight[c]/M)` (the batch statistics
    /// depend on `x`, as in PyTorch's training-mode backward). A fused activation is taken back
    /// first, by ``Tensor/leakyReluBackward(_:input:slope:)`` on the output: folding its mask
    /// into this kernel's per-channel passes made the pair slower than the two contiguous passes
    /// (strided planes, measured in `gan-bench memory`).
    public static func batchNormBackward(
        _ dy: Tensor, input x: Tensor, weight: Tensor?, statistics s: Statistics
    ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        require(dy.shape == x.shape, "batchNorm backward: gradient shape \(dy.shape) differs from input shape \(x.shape)")
        let (n, c, p) = dimensions(x)
        checkChannelCount(c, "weight", weight); checkChannelCount(c, "mean", s.mean)
        checkChannelCount(c, "inverse standard deviation", s.inverseStandardDeviation)
        let dx = Tensor(uninitializedShape: x.shape)
        let channelShape = [c]
        let dw = Tensor(uninitializedShape: channelShape), db = Tensor(uninitializedShape: channelShape)
        Parallel.forRanges(c, costPerElement: 3 * n * p, BackwardChannels(
            x: x.pointer, dy: dy.pointer, dx: dx.storage.pointer, dWeight: dw.storage.pointer, dBias: db.storage.pointer,
            mean: s.mean.pointer, invStd: s.inverseStandardDeviation.pointer, weight: weight?.pointer, n: n, c: c, p: p))
        return (dx, dw, db)
    }

    /// One task per channel of ``batchNormBackward(_:input:weight:statistics:)``.
    private struct BackwardChannels: ParallelLoop {
        let x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
        let dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>
        let mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, weight: UnsafePointer<Float>?
        let n: Int, c: Int, p: Int

        func run(_ channels: Range<Int>) {
            let px = x, pg = dy, pdx = dx, pdw = dWeight, pdb = dBias, pm = mean, pi = invStd, w = weight
            let m = Float(n * p)
            for ch in channels {
                let mu = pm[ch], inv = pi[ch]
                // Σ dy and Σ dy·(x − μ); the latter times invStd is Σ dy·x̂.
                let (sumG, sumGCentred) = channelSums(pg + ch * p, px + ch * p, planes: n, stride: c * p, count: p, center: mu)
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
    }

    /// Evaluation-mode batch norm as one affine map per channel: `scale[c] = weight[c] / √(var[c] + ε)`
    /// (`1 / √(var[c] + ε)` without a weight) and `shift[c] = bias[c] − mean[c]·scale[c]`
    /// (`−mean[c]·scale[c]` without a bias), each `[C]` for `mean`, `variance`, `weight`, `bias`
    /// of `C` values. Rounded step by step as the differentiable form in GANAutograd, so both give
    /// the same bits; here without a graph's objects, for inference.
    public static func foldedStatistics(mean: Tensor, variance: Tensor, weight: Tensor?, bias: Tensor?,
                                        epsilon: Float) -> (scale: Tensor, shift: Tensor) {
        let c = variance.count
        require(mean.count == c && (weight?.count ?? c) == c && (bias?.count ?? c) == c,
                "foldedStatistics: mean \(mean.shape), weight \(weight?.shape ?? []) and bias \(bias?.shape ?? []) must have \(c) values like variance \(variance.shape)")
        let shape = [c]
        let scale = Tensor(uninitializedShape: shape), shift = Tensor(uninitializedShape: shape)
        let m = mean.pointer, v = variance.pointer, w = weight?.pointer, b = bias?.pointer
        let ps = scale.storage.pointer, pt = shift.storage.pointer
        for ch in 0..<c {
            let invStd = 1 / (v[ch] + epsilon).squareRoot()
            ps[ch] = w.map { $0[ch] * invStd } ?? invStd
            let shifted = m[ch] * ps[ch]
            pt[ch] = b.map { $0[ch] - shifted } ?? -shifted
        }
        return (scale, shift)
    }

    /// `y[n, c, p] = f(x[n, c, p] · scale[c] + shift[c])` in one pass (evaluation-mode batch norm
    /// with folded statistics), `f` the identity or LeakyReLU with negative slope `activationSlope`
    /// (0: ReLU). `scale`: `[C]`; `shift`: `[C]` or nil (0).
    public static func channelAffine(_ x: Tensor, scale: Tensor, shift: Tensor?, activationSlope: Float? = nil) -> Tensor {
        let (n, c, p) = affineDimensions(x, scale: scale, shift: shift, activationSlope: activationSlope)
        let y = Tensor(uninitializedShape: x.shape)
        channelAffine(x.pointer, into: y.storage.pointer, n: n, c: c, p: p, scale: scale, shift: shift,
                      activationSlope: activationSlope)
        return y
    }

    /// ``channelAffine(_:scale:shift:activationSlope:)`` written over `x`'s own values (copied
    /// first if another tensor shares them): inference needs no second activation-sized buffer.
    public static func channelAffineInPlace(_ x: inout Tensor, scale: Tensor, shift: Tensor?, activationSlope: Float? = nil) {
        let (n, c, p) = affineDimensions(x, scale: scale, shift: shift, activationSlope: activationSlope)
        x.withUnsafeMutableBufferPointer { values in
            channelAffine(nil, into: values.baseAddress!, n: n, c: c, p: p,
                          scale: scale, shift: shift, activationSlope: activationSlope)
        }
    }

    /// `(N, C, plane size)` of `x` for a per-channel affine map, after checking the operands.
    private static func affineDimensions(
        _ x: Tensor, scale: Tensor, shift: Tensor?, activationSlope: Float?
    ) -> (Int, Int, Int) {
        checkActivationSlope(activationSlope)
        let (n, c, p) = dimensions(x)
        require(scale.count == c && (shift?.count ?? c) == c,
                     "channelAffine: scale \(scale.shape) and shift \(shift?.shape ?? []) must have \(c) values for input \(x.shape)")
        return (n, c, p)
    }

    /// The loop of both: from `src` to `dst`, each `[n, c, p]` values, or over `dst` itself when
    /// `src` is nil. (In place has its own row loop: with two pointers that may be equal the
    /// compiler's overlap check sends the loop to its scalar version.)
    private static func channelAffine(
        _ src: UnsafePointer<Float>?, into dst: UnsafeMutablePointer<Float>, n: Int, c: Int, p: Int,
        scale: Tensor, shift: Tensor?, activationSlope: Float?
    ) {
        Parallel.forRanges(n * c, costPerElement: p, AffinePlanes(
            src: src, dst: dst, c: c, p: p, scale: scale.pointer, shift: shift?.pointer, activationSlope: activationSlope))
    }

    /// One task per plane `(n, c)` of ``channelAffine(_:into:n:c:p:scale:shift:activationSlope:)``.
    private struct AffinePlanes: ParallelLoop {
        let src: UnsafePointer<Float>?, dst: UnsafeMutablePointer<Float>, c: Int, p: Int
        let scale: UnsafePointer<Float>, shift: UnsafePointer<Float>?, activationSlope: Float?

        func run(_ planes: Range<Int>) {
            let a = scale, b = shift
            for plane in planes {
                let ch = plane % c, row = dst + plane * p
                if let src {
                    affineRow(src + plane * p, row, count: p, scale: a[ch], shift: b?[ch] ?? 0, activationSlope: activationSlope)
                } else {
                    affineRowInPlace(row, count: p, scale: a[ch], shift: b?[ch] ?? 0, activationSlope: activationSlope)
                }
            }
        }
    }

    /// `to[j] = f(from[j] · scale + shift)` for `j < count`: `f` the identity (`activationSlope`
    /// nil), or LeakyReLU with that negative slope, computed as ``Tensor/leakyRelu(slope:)`` does
    /// (`max(v, 0)` for a slope of 0, so ReLU gives +0, never −0). One loop per case, so that each
    /// vectorises.
    @inline(__always)
    private static func affineRow(
        _ from: UnsafePointer<Float>, _ to: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float,
        activationSlope: Float?
    ) {
        switch activationSlope {
        case nil: for j in 0..<count { to[j] = from[j] * scale + shift }
        case 0?: for j in 0..<count { to[j] = Swift.max(from[j] * scale + shift, 0) }
        case let slope?: for j in 0..<count { let v = from[j] * scale + shift; to[j] = v > 0 ? v : slope * v }
        }
    }

    /// ``affineRow(_:_:count:scale:shift:activationSlope:)`` over `values` itself.
    @inline(__always)
    private static func affineRowInPlace(
        _ values: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float, activationSlope: Float?
    ) {
        switch activationSlope {
        case nil: for j in 0..<count { values[j] = values[j] * scale + shift }
        case 0?: for j in 0..<count { values[j] = Swift.max(values[j] * scale + shift, 0) }
        case let slope?: for j in 0..<count { let v = values[j] * scale + shift; values[j] = v > 0 ? v : slope * v }
        }
    }

    /// A fused activation's slope must be ≥ 0: its backward pass reads where the input was
    /// positive from the output's sign.
    private static func checkActivationSlope(_ slope: Float?) {
        if let slope {
            require(slope >= 0, "batch norm with a fused LeakyReLU: negative slope \(slope) must be ≥ 0")
        }
    }

    /// Over the `planes` planes of one channel (plane `i` at `a + i·stride`, `count` values):
    /// `sum = Σ a[j]` and `sumOfProducts = Σ a[j]·(b[j] − center)` (`b` at the same offsets; nil:
    /// only `sum`). Groups of planes (``planesPerFloatSum(count:)``) are summed in 16 Float lanes, the
    /// groups' lanes added in 16 Double lanes, reduced once per channel: reducing every plane to
    /// one Double chained 16 dependent adds per plane.
    @inline(__always)
    private static func channelSums(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, planes: Int, stride: Int, count: Int, center: Float
    ) -> (sum: Double, sumOfProducts: Double) {
        var sums = SIMD16<Double>(), products = SIMD16<Double>()
        var tail = 0.0, tailProducts = 0.0
        let vectors = count / 16 * 16, c = SIMD16<Float>(repeating: center)
        let perGroup = planesPerFloatSum(count: count)
        for group in Swift.stride(from: 0, to: planes, by: perGroup) {
            var sum = SIMD16<Float>(), product = SIMD16<Float>()
            for i in group..<Swift.min(planes, group + perGroup) {
                let pa = a + i * stride, ra = UnsafeRawPointer(pa)
                var j = 0
                if let b {
                    let pb = b + i * stride, rb = UnsafeRawPointer(pb)
                    while j < vectors {
                        let va = ra.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
                        sum += va
                        product += va * (rb.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self) - c)
                        j += 16
                    }
                    for k in j..<count { tail += Double(pa[k]); tailProducts += Double(pa[k]) * Double(pb[k] - center) }
                } else {
                    while j < vectors {
                        sum += ra.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
                        j += 16
                    }
                    for k in j..<count { tail += Double(pa[k]) }
                }
            }
            sums += SIMD16<Double>(sum)
            if b != nil { products += SIMD16<Double>(product) }
        }
        return (sums.sum() + tail, products.sum() + tailProducts)
    }

    /// `Σ (a[j] − center)²` over the planes of one channel, laid out and summed as in
    /// ``channelSums(_:_:planes:stride:count:center:)``.
    @inline(__always)
    private static func channelCentredSquares(
        _ a: UnsafePointer<Float>, planes: Int, stride: Int, count: Int, center: Float
    ) -> Double {
        var squares = SIMD16<Double>(), tail = 0.0
        let vectors = count / 16 * 16, c = SIMD16<Float>(repeating: center)
        let perGroup = planesPerFloatSum(count: count)
        for group in Swift.stride(from: 0, to: planes, by: perGroup) {
            var sum = SIMD16<Float>()
            for i in group..<Swift.min(planes, group + perGroup) {
                let pa = a + i * stride, ra = UnsafeRawPointer(pa)
                var j = 0
                while j < vectors {
                    let d = ra.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self) - c
                    sum += d * d
                    j += 16
                }
                for k in j..<count { let d = Double(pa[k] - center); tail += d * d }
            }
            squares += SIMD16<Double>(sum)
        }
        return squares.sum() + tail
    }

    /// Planes of `count` values whose sums share Float lanes before the lanes are added in
    /// Double: about 49 values per lane (a 28×28 plane's share, summed alone before), one plane
    /// when planes are larger.
    @inline(__always)
    private static func planesPerFloatSum(count: Int) -> Int { max(1, 784 / max(count, 1)) }

    /// `(N, C, P)` of a `[N, C]` or `[N, C, H, W]` tensor.
    /// Requires a given per-channel tensor to hold `c` values (the kernels index it by channel).
    /// One tensor per call: a variadic list would allocate its array on every batch-norm call.
    private static func checkChannelCount(_ c: Int, _ name: String, _ t: Tensor?) {
        if let t { require(t.count == c, "batchNorm: \(name) holds \(t.count) values for \(c) channels") }
    }

    private static func dimensions(_ x: Tensor) -> (Int, Int, Int) {
        require(x.rank == 2 || x.rank == 4, "batchNorm: expected [N, C] or [N, C, H, W], got \(x.shape)")
        return (x.shape[0], x.shape[1], x.rank == 4 ? x.shape[2] * x.shape[3] : 1)
    }
}
