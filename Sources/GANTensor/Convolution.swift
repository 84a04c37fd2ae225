import Foundation

/// Shapes of a 2-D convolution (cross-correlation, as PyTorch's `Conv2d`), NCHW.
///
/// `outHeight = (inHeight + 2·padding.h − kernel.h) / stride.h + 1`, likewise for width.
/// A transposed convolution is described by the geometry of the convolution it transposes.
public struct Conv2dGeometry: Hashable, CustomStringConvertible {
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
        require(
            kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0 && strideWidth > 0
                && paddingHeight >= 0 && paddingWidth >= 0,
            "conv2d: kernel and stride must be positive and padding non-negative: \(self)")
        require(
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

/// Convolution kernels: Winograd F(2×2, 2×2) for the wide 4×4 stride-2 layers
/// (``WinogradConvolution``), oneDNN's direct kernels for other wide layers where it is linked
/// (Linux; see `OneDNNConvolutions`), otherwise im2col + GEMM, a chunk of images at a time.
///
/// For images `n0 ..< n0 + nb`, the im2col matrix `col` is `[C·kH·kW, nb·OH·OW]`: row `(c, i, j)`
/// holds, for every output position `(n, oh, ow)` of the chunk, the input pixel
/// `x[n, c, oh·s − p + i, ow·s − p + j]` (0 outside). Chunks are sized so `col` stays about
/// ``columnBudget`` floats (cache-sized): the GEMM then reads what im2col just wrote from cache,
/// and a batch of 1,000 samples needs megabytes of scratch, not the 400 MB a whole-batch `col`
/// would take for DCGAN's second layer.
public enum ConvolutionKernels {
    /// Floats in one chunk's im2col matrix (16 MiB; measured best of 1, 4, 16, 32 and 64 MiB
    /// for dcgan28 and sampling on 2 AMD EPYC cores with 1 MiB L2 each and 32 MiB L3).
    /// Tests lower it to force one image per chunk.
    nonisolated(unsafe) static var columnBudget = 1 << 22

    /// Whether layers oneDNN takes (both channel counts multiples of 16) run on it. On by default
    /// where oneDNN is linked; `SWIFTGAN_CONVOLUTION=im2col` in the environment turns it off, and
    /// tests switch it to compare the two.
    nonisolated(unsafe) public static var useOneDNN =
        ProcessInfo.processInfo.environment["SWIFTGAN_CONVOLUTION"] != "im2col"

    /// Whether 4×4 stride-2 layers Winograd takes run on it (``WinogradConvolution``), ahead of
    /// oneDNN and im2col. On by default; `SWIFTGAN_CONVOLUTION=onednn` or `=im2col` turns it off,
    /// and tests and `gan-bench kernels` switch it to compare kernels.
    nonisolated(unsafe) public static var useWinograd: Bool = {
        let choice = ProcessInfo.processInfo.environment["SWIFTGAN_CONVOLUTION"]
        return choice != "im2col" && choice != "onednn"
    }()

    /// What runs each pass of `g`: "winograd", oneDNN's implementation name ("jit:avx512_core",
    /// …) or "im2col+gemm".
    public static func implementation(of g: Conv2dGeometry) -> (forward: String, backwardInput: String, backwardWeight: String) {
        (implementation(.forward, of: g), implementation(.backwardInput, of: g), implementation(.backwardWeight, of: g))
    }

    /// What runs one pass of `g` (see ``implementation(of:)``).
    static func implementation(_ pass: ConvolutionPass, of g: Conv2dGeometry) -> String {
        if WinogradConvolution.takes(g) { return "winograd" }
        return oneDNNImplementation(pass, g) ?? "im2col+gemm"
    }

    /// Images per chunk for geometry `g`.
    static func imagesPerChunk(_ g: Conv2dGeometry) -> Int {
        max(1, min(g.batch, columnBudget / max(1, g.patchSize * g.outHeight * g.outWidth)))
    }

    /// Calls `body(images, columns)` for each chunk of `chunk` images (the last one shorter) in
    /// order, with `columns = images.count · OH · OW`.
    private static func forEachChunk(_ g: Conv2dGeometry, of chunk: Int, _ body: (Range<Int>, Int) -> Void) {
        for n0 in stride(from: 0, to: g.batch, by: chunk) {
            let images = n0..<min(g.batch, n0 + chunk)
            body(images, images.count * g.outHeight * g.outWidth)
        }
    }

    /// Runs `body(a, b, chunk)` with two scratch matrices for one chunk of `chunk` images (see
    /// ``imagesPerChunk(_:)``, read once here, so the chunks ``forEachChunk(_:of:_:)`` cuts with it
    /// fit), `rowsA × (chunk · OH · OW)` and `rowsB × …` floats, written by the kernels: cached
    /// buffers, no objects. Two buffers,
    /// not one of the summed size: a matrix often has the size of an activation (for sampling,
    /// the 128-channel `dy` chunk is the whole `[1000, 128, 14, 14]` layer) and then reuses its
    /// cached buffer; one combined size was new and raised sampling's peak by 100 MB.
    private static func withChunkScratch<R>(
        rows rowsA: Int, _ rowsB: Int, _ g: Conv2dGeometry,
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) -> R
    ) -> R {
        let chunk = imagesPerChunk(g), columns = chunk * g.outHeight * g.outWidth
        return BufferPool.withScratch(floats: rowsA * columns) { a in
            BufferPool.withScratch(floats: rowsB * columns) { b in body(a, b, chunk) }
        }
    }

    /// Where oneDNN runs `g`, a new ``ConvertedOperands`` for one application of the layer, to
    /// hand to each of its passes; nil where im2col + GEMM runs it (nothing is converted).
    public static func convertedOperands(for g: Conv2dGeometry) -> ConvertedOperands? {
        oneDNNRuns(g) ? ConvertedOperands() : nil
    }

    /// `y[n, oc, oh, ow] = Σ_{c,i,j} w[oc, c, i, j] · x[n, c, oh·s−p+i, ow·s−p+j]`.
    /// x: [N, C, H, W], w: [OC, C, kH, kW] → y: [N, OC, OH, OW].
    /// `operands`: the layer's converted activations (``convertedOperands(for:)``); `x`'s is kept
    /// where oneDNN runs the layer.
    public static func conv2dForward(
        input x: Tensor, weight w: Tensor, geometry g: Conv2dGeometry, operands: ConvertedOperands? = nil
    ) -> Tensor {
        checkInput(x.shape, "input", g); checkWeight(w.shape, g)
        let y = Tensor(uninitializedShape: g.outputShape)
        if WinogradConvolution.takes(g) {
            WinogradConvolution.forward(x.pointer, w.pointer, g, into: y.storage.pointer)
            return y
        }
        if runOneDNNConvolution(.forward, g, x, w, y.storage.pointer, operands: operands) { return y }
        if g.isFullyConnected {
            // y[N, OC] = x[N, CKK] · w[OC, CKK]ᵀ
            BLAS.gemm(transposeA: false, transposeB: true, m: g.batch, n: g.outChannels, k: g.patchSize,
                      a: x.pointer, lda: g.patchSize, b: w.pointer, ldb: g.patchSize, c: y.storage.pointer, ldc: g.outChannels)
            return y
        }
        let ohw = g.outHeight * g.outWidth
        withChunkScratch(rows: g.patchSize, g.outChannels, g) { col, y2, chunk in
            forEachChunk(g, of: chunk) { images, cols in
                im2col(x, g, images: images, into: col)
                // y2[OC, nb·OHW] = w[OC, CKK] · col[CKK, nb·OHW]
                BLAS.gemm(
                    transposeA: false, transposeB: false, m: g.outChannels, n: cols, k: g.patchSize,
                    a: w.pointer, lda: g.patchSize, b: col, ldb: cols, c: y2, ldc: cols)
                channelMajorToBatchMajor(y2, into: y.storage.pointer, images: images, channels: g.outChannels, plane: ohw)
            }
        }
        return y
    }

    /// Gradient of ``conv2dForward`` with respect to its input (also the forward pass of a
    /// transposed convolution). dy: [N, OC, OH, OW], w: [OC, C, kH, kW] → dx: [N, C, H, W].
    /// `operands`: as in ``conv2dForward(input:weight:geometry:operands:)``; `dy`'s is kept.
    public static func conv2dBackwardInput(
        outputGradient dy: Tensor, weight w: Tensor, geometry g: Conv2dGeometry, operands: ConvertedOperands? = nil
    ) -> Tensor {
        checkOutput(dy.shape, "output gradient", g); checkWeight(w.shape, g)
        let dx = Tensor(uninitializedShape: g.inputShape)
        if WinogradConvolution.takes(g) {
            WinogradConvolution.backwardInput(dy.pointer, w.pointer, g, into: dx.storage.pointer)
            return dx
        }
        if runOneDNNConvolution(.backwardInput, g, dy, w, dx.storage.pointer, operands: operands) { return dx }
        if g.isFullyConnected {
            // dx[N, CKK] = dy[N, OC] · w[OC, CKK]
            BLAS.gemm(transposeA: false, transposeB: false, m: g.batch, n: g.patchSize, k: g.outChannels,
                      a: dy.pointer, lda: g.outChannels, b: w.pointer, ldb: g.patchSize, c: dx.storage.pointer, ldc: g.patchSize)
            return dx
        }
        let ohw = g.outHeight * g.outWidth
        withChunkScratch(rows: g.outChannels, g.patchSize, g) { dy2, dcol, chunk in
            forEachChunk(g, of: chunk) { images, cols in
                batchMajorToChannelMajor(dy.pointer, into: dy2, images: images, channels: g.outChannels, plane: ohw)
                // dcol[CKK, nb·OHW] = wᵀ[CKK, OC] · dy2[OC, nb·OHW]
                BLAS.gemm(
                    transposeA: true, transposeB: false, m: g.patchSize, n: cols, k: g.outChannels,
                    a: w.pointer, lda: g.patchSize, b: dy2, ldb: cols, c: dcol, ldc: cols)
                col2im(dcol, g, images: images, into: dx.storage.pointer)
            }
        }
        return dx
    }

    /// Gradient of ``conv2dForward`` with respect to its weight, summed over the chunks in order.
    /// x: [N, C, H, W], dy: [N, OC, OH, OW] → dw: [OC, C, kH, kW].
    /// `operands`: as in ``conv2dForward(input:weight:geometry:operands:)``; the kept `x` and `dy`
    /// are reused when they are these tensors', then dropped (this pass reads them last).
    public static func conv2dBackwardWeight(
        input x: Tensor, outputGradient dy: Tensor, geometry g: Conv2dGeometry, operands: ConvertedOperands? = nil
    ) -> Tensor {
        checkInput(x.shape, "input", g); checkOutput(dy.shape, "output gradient", g)
        let dw = Tensor(uninitializedShape: g.weightShape)
        if WinogradConvolution.takes(g) {
            WinogradConvolution.backwardWeight(x.pointer, dy.pointer, g, into: dw.storage.pointer)
            return dw
        }
        if runOneDNNConvolution(.backwardWeight, g, x, dy, dw.storage.pointer, operands: operands) { return dw }
        if g.isFullyConnected {
            // dw[OC, CKK] = dy[N, OC]ᵀ · x[N, CKK]
            BLAS.gemm(transposeA: true, transposeB: false, m: g.outChannels, n: g.patchSize, k: g.batch,
                      a: dy.pointer, lda: g.outChannels, b: x.pointer, ldb: g.patchSize, c: dw.storage.pointer, ldc: g.patchSize)
            return dw
        }
        // No images: no chunk writes dw, and the sum over none is 0 (as PyTorch returns).
        if g.batch == 0 { return Tensor(zeros: g.weightShape) }
        let ohw = g.outHeight * g.outWidth
        withChunkScratch(rows: g.patchSize, g.outChannels, g) { col, dy2, chunk in
            forEachChunk(g, of: chunk) { images, cols in
                im2col(x, g, images: images, into: col)
                batchMajorToChannelMajor(dy.pointer, into: dy2, images: images, channels: g.outChannels, plane: ohw)
                // dw[OC, CKK] (+)= dy2[OC, nb·OHW] · colᵀ[nb·OHW, CKK]
                BLAS.gemm(
                    transposeA: false, transposeB: true, m: g.outChannels, n: g.patchSize, k: cols,
                    a: dy2, lda: cols, b: col, ldb: cols,
                    beta: images.lowerBound == 0 ? 0 : 1, c: dw.storage.pointer, ldc: g.patchSize)
            }
        }
        return dw
    }

    // MARK: im2col / col2im

    /// x: [N, C, H, W], images `n0 ..< n0 + nb` → dst: [C·kH·kW, nb·OH·OW].
    ///
    /// Each plane `x[n, c]` is first copied into a ``PaddedPlane`` (zeros around it, columns
    /// split by stride phase), so every row of a kernel tap is one contiguous run of `OW` floats:
    /// no bounds test and no strided read per element.
    static func im2col(_ x: Tensor, _ g: Conv2dGeometry, images: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(images.count * g.inChannels, costPerElement: g.kernelHeight * g.kernelWidth * g.outHeight * g.outWidth,
                           Im2col(src: x.pointer, dst: dst, images: images, g: g))
    }

    /// One task per (image n, channel c) of ``im2col(_:_:images:into:)``: it fills the kH·kW
    /// rows of channel c in the columns of image n.
    private struct Im2col: ParallelLoop {
        let src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, images: Range<Int>, g: Conv2dGeometry

        func run(_ tasks: Range<Int>) {
            let oh = g.outHeight, ow = g.outWidth, ohw = oh * ow, cols = images.count * ohw
            let n0 = images.lowerBound, hw = g.inHeight * g.inWidth
            let kh = g.kernelHeight, kw = g.kernelWidth, sh = g.strideHeight
            let padded = PaddedPlane(g)
            BufferPool.withScratch(floats: padded.count) { scratch in
                for task in tasks {
                    let n = task / g.inChannels, c = task % g.inChannels
                    padded.load(src + ((n0 + n) * g.inChannels + c) * hw, into: scratch)
                    for i in 0..<kh {
                        for j in 0..<kw {
                            let row = dst + ((c * kh + i) * kw + j) * cols + n * ohw
                            for y in 0..<oh {
                                copyRun(from: scratch + padded.run(row: y * sh + i, tap: j), to: row + y * ow, count: ow)
                            }
                        }
                    }
                }
            }
        }
    }

    /// src: [C·kH·kW, nb·OH·OW] for images `n0 ..< n0 + nb` → dst: [N, C, H, W], writing those
    /// images: each pixel is the sum of its column entries (0 where none). Adding the runs into a
    /// ``PaddedPlane`` and storing it, as im2col reads one, was 4–15% slower on dcgan28's wide
    /// layers (one more pass over the plane) and level on the small ones.
    static func col2im(_ src: UnsafePointer<Float>, _ g: Conv2dGeometry, images: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(images.count * g.inChannels, costPerElement: g.kernelHeight * g.kernelWidth * g.outHeight * g.outWidth,
                           Col2im(src: src, dst: dst, images: images, g: g))
    }

    /// One task per (n, c) of ``col2im(_:_:images:into:)``: it owns the output plane x[n, c], so
    /// no two tasks write one pixel.
    private struct Col2im: ParallelLoop {
        let src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, images: Range<Int>, g: Conv2dGeometry

        func run(_ tasks: Range<Int>) {
            let oh = g.outHeight, ow = g.outWidth, ohw = oh * ow, cols = images.count * ohw
            let n0 = images.lowerBound
            let kh = g.kernelHeight, kw = g.kernelWidth, h = g.inHeight, w = g.inWidth
            let sh = g.strideHeight, sw = g.strideWidth, ph = g.paddingHeight, pw = g.paddingWidth
            for task in tasks {
                let n = task / g.inChannels, c = task % g.inChannels
                let plane = dst + ((n0 + n) * g.inChannels + c) * h * w
                plane.update(repeating: 0, count: h * w)
                for i in 0..<kh {
                    for j in 0..<kw {
                        let row = src + ((c * kh + i) * kw + j) * cols + n * ohw
                        let (x0, x1) = validRange(count: ow, stride: sw, offset: j - pw, limit: w)
                        for y in 0..<oh {
                            let iy = y * sh - ph + i
                            if iy < 0 || iy >= h { continue }
                            let line = plane + iy * w + (j - pw)
                            let inp = row + y * ow
                            for x in x0..<x1 { line[x * sw] += inp[x] }
                        }
                    }
                }
            }
        }
    }

    /// dst[0..<count] = src[0..<count], inline: the runs are a few floats (7 for DCGAN's 7×7
    /// layers), where a call to memmove costs more than the copy (memmove took 9% of the samples
    /// of a dcgan28 step on im2col + GEMM).
    @inline(__always)
    static func copyRun(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        var k = 0
        while k + 8 <= count {
            UnsafeMutableRawPointer(dst + k).storeBytes(of: UnsafeRawPointer(src + k).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            k += 8
        }
        if k + 4 <= count {
            UnsafeMutableRawPointer(dst + k).storeBytes(of: UnsafeRawPointer(src + k).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
            k += 4
        }
        while k < count { dst[k] = src[k]; k += 1 }
    }

    /// One input plane `[H, W]` with the zero padding of `g` around it, in the layout im2col reads:
    /// `[sW phases, rows, phaseWidth]`, where element `[q, r, u]` is the
    /// pixel at padded row `r` and padded column `u·sW + q`, i.e. `x[r − pH, u·sW + q − pW]`
    /// (0 outside x). Output position `(y, x)` of tap `(i, j)` reads padded `(y·sH + i, x·sW + j)`,
    /// which is phase `j mod sW`, column `x + j / sW`: for fixed `(y, i, j)` the `OW` reads are
    /// consecutive.
    struct PaddedPlane {
        let height: Int, width: Int, paddingHeight: Int, paddingWidth: Int, stride: Int
        /// Padded rows any tap reads: `(OH − 1)·sH + kH`.
        let rows: Int
        /// Columns of one phase: `OW + (kW − 1) / sW`.
        let phaseWidth: Int
        /// Floats of the whole layout.
        var count: Int { stride * rows * phaseWidth }

        init(_ g: Conv2dGeometry) {
            height = g.inHeight; width = g.inWidth
            paddingHeight = g.paddingHeight; paddingWidth = g.paddingWidth; stride = g.strideWidth
            rows = (g.outHeight - 1) * g.strideHeight + g.kernelHeight
            phaseWidth = g.outWidth + (g.kernelWidth - 1) / g.strideWidth
        }

        /// Offset of the run that tap column `j` reads at padded row `row` (`OW` floats).
        @inline(__always)
        func run(row: Int, tap j: Int) -> Int { ((j % stride) * rows + row) * phaseWidth + j / stride }

        /// For phase `q`, the columns `u0 ..< u1` that hold pixels of the plane (the rest are padding).
        @inline(__always)
        private func pixelColumns(phase q: Int) -> (Int, Int) {
            ConvolutionKernels.validRange(count: phaseWidth, stride: stride, offset: q - paddingWidth, limit: width)
        }

        /// plane [H, W] → layout (padding zeroed).
        func load(_ plane: UnsafePointer<Float>, into layout: UnsafeMutablePointer<Float>) {
            for q in 0..<stride {
                let (u0, u1) = pixelColumns(phase: q)
                for r in 0..<rows {
                    let line = layout + (q * rows + r) * phaseWidth, iy = r - paddingHeight
                    guard iy >= 0 && iy < height && u0 < u1 else {
                        line.update(repeating: 0, count: phaseWidth)
                        continue
                    }
                    let pixels = plane + iy * width + q - paddingWidth
                    for u in 0..<u0 { line[u] = 0 }
                    for u in u0..<u1 { line[u] = pixels[u * stride] }
                    for u in u1..<phaseWidth { line[u] = 0 }
                }
            }
        }

    }

    /// The positions `x0 ..< x1` of `0 ..< count` for which `x·stride + offset` lies in `0 ..< limit`.
    @inline(__always)
    static func validRange(count: Int, stride: Int, offset: Int, limit: Int) -> (Int, Int) {
        // x·stride + offset ≥ 0  ⇔  x ≥ ⌈−offset / stride⌉;  x·stride + offset < limit  ⇔  x ≤ ⌊(limit − 1 − offset) / stride⌋.
        let low = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let top = limit - 1 - offset
        let high = top < 0 ? 0 : top / stride + 1
        let x0 = min(low, count), x1 = max(x0, min(high, count))
        return (x0, x1)
    }

    /// src: [C, nb·P] → dst: [N, C, P] at images `n0 ..< n0 + nb` (the GEMM result back to NCHW).
    static func channelMajorToBatchMajor(
        _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, images: Range<Int>, channels: Int, plane: Int
    ) {
        Parallel.forRanges(images.count * channels, costPerElement: plane, PlaneCopies(
            src: src, dst: dst, images: images, channels: channels, plane: plane, toBatchMajor: true))
    }

    /// src: [N, C, P] at images `n0 ..< n0 + nb` → dst: [C, nb·P] (NCHW to the GEMM layout).
    static func batchMajorToChannelMajor(
        _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, images: Range<Int>, channels: Int, plane: Int
    ) {
        Parallel.forRanges(images.count * channels, costPerElement: plane, PlaneCopies(
            src: src, dst: dst, images: images, channels: channels, plane: plane, toBatchMajor: false))
    }

    /// One task per (image n, channel c): plane `[C, nb·P]`'s `(c, n)` to or from `[N, C, P]`'s
    /// `(n0 + n, c)`.
    private struct PlaneCopies: ParallelLoop {
        let src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, images: Range<Int>, channels: Int, plane: Int
        let toBatchMajor: Bool

        func run(_ tasks: Range<Int>) {
            let nb = images.count, n0 = images.lowerBound
            for task in tasks {
                let n = task / channels, c = task % channels
                let channelMajor = (c * nb + n) * plane, batchMajor = ((n0 + n) * channels + c) * plane
                if toBatchMajor {
                    (dst + batchMajor).update(from: src + channelMajor, count: plane)
                } else {
                    (dst + channelMajor).update(from: src + batchMajor, count: plane)
                }
            }
        }
    }

    /// Checks `got` against the 4-D shape `[d0, d1, d2, d3]` without building an array for it
    /// (this runs on every call); the array is formed only for the error message.
    private static func check(
        _ got: [Int], _ d0: Int, _ d1: Int, _ d2: Int, _ d3: Int, _ what: String, _ g: Conv2dGeometry
    ) {
        let matches = got.count == 4 && got[0] == d0 && got[1] == d1 && got[2] == d2 && got[3] == d3
        require(matches, "conv2d: \(what) has shape \(got), expected \([d0, d1, d2, d3]) for \(g)")
    }
    private static func checkInput(_ got: [Int], _ what: String, _ g: Conv2dGeometry) {
        check(got, g.batch, g.inChannels, g.inHeight, g.inWidth, what, g)
    }
    private static func checkOutput(_ got: [Int], _ what: String, _ g: Conv2dGeometry) {
        check(got, g.batch, g.outChannels, g.outHeight, g.outWidth, what, g)
    }
    private static func checkWeight(_ got: [Int], _ g: Conv2dGeometry) {
        check(got, g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth, "weight", g)
    }
}
