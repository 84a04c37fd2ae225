/// Shapes of a 2-D convolution (cross-correlation, as PyTorch's `Conv2d`), NCHW.
///
/// `outHeight = (inHeight + 2·padding.h − kernel.h) / stride.h + 1`, likewise for width.
/// A transposed convolution is described by the geometry of the convolution it transposes.
public struct Conv2dGeometry: Equatable, CustomStringConvertible {
    public var batch: Int
    public var inChannels: Int, inHeight: Int, inWidth: Int
    public var outChannels: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideHeight: Int, strideWidth: Int
    public var paddingHeight: Int, paddingWidth: Int

    public init(
        batch: Int, inChannels: Int, inHeight: Int, inWidth: Int, outChannels: Int,
        kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0)
    ) {
        self.batch = batch
        self.inChannels = inChannels; self.inHeight = inHeight; self.inWidth = inWidth
        self.outChannels = outChannels
        (kernelHeight, kernelWidth) = kernel
        (strideHeight, strideWidth) = stride
        (paddingHeight, paddingWidth) = padding
        precondition(
            kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0 && strideWidth > 0
                && paddingHeight >= 0 && paddingWidth >= 0,
            "conv2d: kernel and stride must be positive and padding non-negative: \(self)")
        precondition(
            inHeight + 2 * paddingHeight >= kernelHeight && inWidth + 2 * paddingWidth >= kernelWidth,
            "conv2d: kernel \(kernelHeight)x\(kernelWidth) is larger than the padded input \(inHeight + 2 * paddingHeight)x\(inWidth + 2 * paddingWidth)")
    }

    public var outHeight: Int { (inHeight + 2 * paddingHeight - kernelHeight) / strideHeight + 1 }
    public var outWidth: Int { (inWidth + 2 * paddingWidth - kernelWidth) / strideWidth + 1 }
    public var inputShape: [Int] { [batch, inChannels, inHeight, inWidth] }
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
    public var weightShape: [Int] { [outChannels, inChannels, kernelHeight, kernelWidth] }
    /// Rows of the im2col matrix: one per (input channel, kernel row, kernel column).
    var patchSize: Int { inChannels * kernelHeight * kernelWidth }
    /// True when the kernel covers the whole unpadded input, so the output is 1×1 and the
    /// convolution is a plain matrix product (DCGAN's first and last layers).
    var isFullyConnected: Bool {
        outHeight == 1 && outWidth == 1 && paddingHeight == 0 && paddingWidth == 0
            && kernelHeight == inHeight && kernelWidth == inWidth
    }
    /// Multiply-adds of the forward pass (each backward pass costs the same).
    public var multiplyAdds: Int { batch * outChannels * outHeight * outWidth * patchSize }

    public var description: String {
        "Conv2dGeometry(batch \(batch), in \(inChannels)x\(inHeight)x\(inWidth), out \(outChannels)x\(outHeight)x\(outWidth), kernel \(kernelHeight)x\(kernelWidth), stride \(strideHeight)x\(strideWidth), padding \(paddingHeight)x\(paddingWidth))"
    }
}

/// Convolution kernels by im2col + one batched GEMM.
///
/// The im2col matrix `col` is `[C·kH·kW, N·OH·OW]`: row `(c, i, j)` holds, for every output
/// position `(n, oh, ow)`, the input pixel `x[n, c, oh·s − p + i, ow·s − p + j]` (0 outside).
public enum ConvolutionKernels {
    /// `y[n, oc, oh, ow] = Σ_{c,i,j} w[oc, c, i, j] · x[n, c, oh·s−p+i, ow·s−p+j]`.
    /// x: [N, C, H, W], w: [OC, C, kH, kW] → y: [N, OC, OH, OW].
    public static func conv2dForward(input x: Tensor, weight w: Tensor, geometry g: Conv2dGeometry) -> Tensor {
        check(x.shape, g.inputShape, "input", g); check(w.shape, g.weightShape, "weight", g)
        if g.isFullyConnected {
            // y[N, OC] = x[N, CKK] · w[OC, CKK]ᵀ
            var y = Tensor(uninitializedShape: g.outputShape)
            BLAS.gemm(transposeA: false, transposeB: true, m: g.batch, n: g.outChannels, k: g.patchSize,
                      a: x.pointer, lda: g.patchSize, b: w.pointer, ldb: g.patchSize, c: y.storage.pointer, ldc: g.outChannels)
            return y
        }
        let ohw = g.outHeight * g.outWidth, cols = g.batch * ohw
        let col = im2col(x, g)
        // y2[OC, N·OHW] = w[OC, CKK] · col[CKK, N·OHW]
        var y2 = Tensor(uninitializedShape: [g.outChannels, cols])
        BLAS.gemm(
            transposeA: false, transposeB: false, m: g.outChannels, n: cols, k: g.patchSize,
            a: w.pointer, lda: g.patchSize, b: col.pointer, ldb: cols, c: y2.storage.pointer, ldc: cols)
        return channelMajorToBatchMajor(y2, batch: g.batch, channels: g.outChannels, plane: ohw).reshaped(g.outputShape)
    }

    /// Gradient of ``conv2dForward`` with respect to its input (also the forward pass of a
    /// transposed convolution). dy: [N, OC, OH, OW], w: [OC, C, kH, kW] → dx: [N, C, H, W].
    public static func conv2dBackwardInput(outputGradient dy: Tensor, weight w: Tensor, geometry g: Conv2dGeometry) -> Tensor {
        check(dy.shape, g.outputShape, "output gradient", g); check(w.shape, g.weightShape, "weight", g)
        if g.isFullyConnected {
            // dx[N, CKK] = dy[N, OC] · w[OC, CKK]
            var dx = Tensor(uninitializedShape: g.inputShape)
            BLAS.gemm(transposeA: false, transposeB: false, m: g.batch, n: g.patchSize, k: g.outChannels,
                      a: dy.pointer, lda: g.outChannels, b: w.pointer, ldb: g.patchSize, c: dx.storage.pointer, ldc: g.patchSize)
            return dx
        }
        let ohw = g.outHeight * g.outWidth, cols = g.batch * ohw
        let dy2 = batchMajorToChannelMajor(dy, batch: g.batch, channels: g.outChannels, plane: ohw)
        // dcol[CKK, N·OHW] = wᵀ[CKK, OC] · dy2[OC, N·OHW]
        var dcol = Tensor(uninitializedShape: [g.patchSize, cols])
        BLAS.gemm(
            transposeA: true, transposeB: false, m: g.patchSize, n: cols, k: g.outChannels,
            a: w.pointer, lda: g.patchSize, b: dy2.pointer, ldb: cols, c: dcol.storage.pointer, ldc: cols)
        return col2im(dcol, g)
    }

    /// Gradient of ``conv2dForward`` with respect to its weight.
    /// x: [N, C, H, W], dy: [N, OC, OH, OW] → dw: [OC, C, kH, kW].
    public static func conv2dBackwardWeight(input x: Tensor, outputGradient dy: Tensor, geometry g: Conv2dGeometry) -> Tensor {
        check(x.shape, g.inputShape, "input", g); check(dy.shape, g.outputShape, "output gradient", g)
        if g.isFullyConnected {
            // dw[OC, CKK] = dy[N, OC]ᵀ · x[N, CKK]
            var dw = Tensor(uninitializedShape: g.weightShape)
            BLAS.gemm(transposeA: true, transposeB: false, m: g.outChannels, n: g.patchSize, k: g.batch,
                      a: dy.pointer, lda: g.outChannels, b: x.pointer, ldb: g.patchSize, c: dw.storage.pointer, ldc: g.patchSize)
            return dw
        }
        let ohw = g.outHeight * g.outWidth, cols = g.batch * ohw
        let col = im2col(x, g)
        let dy2 = batchMajorToChannelMajor(dy, batch: g.batch, channels: g.outChannels, plane: ohw)
        // dw[OC, CKK] = dy2[OC, N·OHW] · colᵀ[N·OHW, CKK]
        var dw = Tensor(uninitializedShape: g.weightShape)
        BLAS.gemm(
            transposeA: false, transposeB: true, m: g.outChannels, n: g.patchSize, k: cols,
            a: dy2.pointer, lda: cols, b: col.pointer, ldb: cols, c: dw.storage.pointer, ldc: g.patchSize)
        return dw
    }

    // MARK: im2col / col2im

    /// x: [N, C, H, W] → col: [C·kH·kW, N·OH·OW].
    static func im2col(_ x: Tensor, _ g: Conv2dGeometry) -> Tensor {
        let oh = g.outHeight, ow = g.outWidth, ohw = oh * ow, cols = g.batch * ohw
        var col = Tensor(uninitializedShape: [g.patchSize, cols])
        let src = x.pointer, dst = col.storage.pointer
        let kh = g.kernelHeight, kw = g.kernelWidth, h = g.inHeight, w = g.inWidth
        let sh = g.strideHeight, sw = g.strideWidth, ph = g.paddingHeight, pw = g.paddingWidth
        // One task per (image n, channel c): it fills the kH·kW rows of channel c in columns of image n.
        Parallel.forRanges(g.batch * g.inChannels, costPerElement: kh * kw * ohw) { tasks in
            for task in tasks {
                let n = task / g.inChannels, c = task % g.inChannels
                let plane = src + (n * g.inChannels + c) * h * w
                for i in 0..<kh {
                    for j in 0..<kw {
                        let row = dst + ((c * kh + i) * kw + j) * cols + n * ohw
                        for y in 0..<oh {
                            let iy = y * sh - ph + i
                            let out = row + y * ow
                            if iy < 0 || iy >= h {
                                for x in 0..<ow { out[x] = 0 }
                                continue
                            }
                            let line = plane + iy * w
                            for x in 0..<ow {
                                let ix = x * sw - pw + j
                                out[x] = (ix >= 0 && ix < w) ? line[ix] : 0
                            }
                        }
                    }
                }
            }
        }
        return col
    }

    /// col: [C·kH·kW, N·OH·OW] → x: [N, C, H, W], adding every column entry back to its pixel.
    static func col2im(_ col: Tensor, _ g: Conv2dGeometry) -> Tensor {
        let oh = g.outHeight, ow = g.outWidth, ohw = oh * ow, cols = g.batch * ohw
        var x = Tensor(zeros: g.inputShape)
        let src = col.pointer, dst = x.storage.pointer
        let kh = g.kernelHeight, kw = g.kernelWidth, h = g.inHeight, w = g.inWidth
        let sh = g.strideHeight, sw = g.strideWidth, ph = g.paddingHeight, pw = g.paddingWidth
        // One task per (n, c): it owns the output plane x[n, c], so no two tasks write one pixel.
        Parallel.forRanges(g.batch * g.inChannels, costPerElement: kh * kw * ohw) { tasks in
            for task in tasks {
                let n = task / g.inChannels, c = task % g.inChannels
                let plane = dst + (n * g.inChannels + c) * h * w
                for i in 0..<kh {
                    for j in 0..<kw {
                        let row = src + ((c * kh + i) * kw + j) * cols + n * ohw
                        for y in 0..<oh {
                            let iy = y * sh - ph + i
                            if iy < 0 || iy >= h { continue }
                            let line = plane + iy * w
                            let inp = row + y * ow
                            for x in 0..<ow {
                                let ix = x * sw - pw + j
                                if ix >= 0 && ix < w { line[ix] += inp[x] }
                            }
                        }
                    }
                }
            }
        }
        return x
    }

    /// [C, N·P] → [N, C, P] (the GEMM result back to NCHW).
    static func channelMajorToBatchMajor(_ t: Tensor, batch: Int, channels: Int, plane: Int) -> Tensor {
        var out = Tensor(uninitializedShape: [batch, channels, plane])
        let src = t.pointer, dst = out.storage.pointer
        Parallel.forRanges(batch * channels, costPerElement: plane) { r in
            for task in r {
                let n = task / channels, c = task % channels
                (dst + task * plane).update(from: src + (c * batch + n) * plane, count: plane)
            }
        }
        return out
    }

    /// [N, C, …] → [C, N·P] (NCHW to the GEMM layout).
    static func batchMajorToChannelMajor(_ t: Tensor, batch: Int, channels: Int, plane: Int) -> Tensor {
        if batch == 1 { return t.reshaped([channels, plane]) }
        var out = Tensor(uninitializedShape: [channels, batch * plane])
        let src = t.pointer, dst = out.storage.pointer
        Parallel.forRanges(batch * channels, costPerElement: plane) { r in
            for task in r {
                let n = task / channels, c = task % channels
                (dst + (c * batch + n) * plane).update(from: src + task * plane, count: plane)
            }
        }
        return out
    }

    private static func check(_ got: [Int], _ expected: [Int], _ what: String, _ g: Conv2dGeometry) {
        precondition(got == expected, "conv2d: \(what) has shape \(got), expected \(expected) for \(g)")
    }
}
