import Foundation

/// Winograd F(2×2, 2×2) for convolutions with a 4×4 kernel, stride 2 and padding 1 on an input of
/// even height and width: DCGAN's hidden layers (D's 64→128 layer directly, G's 256→128
/// upsampling layer as the input-gradient pass of the convolution it transposes). 9 multiplies
/// per 2×2 output tile and phase channel instead of 16.
///
/// **Stride-phase split.** With the input's rows and columns split by parity,
///
///     X[c′, m, n] = x[c, 2m + p − 1, 2n + q − 1]    (0 outside x),   c′ = (2p + q)·C + c,  p, q ∈ {0, 1}
///
/// the layer is a 2×2 stride-1 correlation over `4C` phase channels:
///
///     y[k, i, j] = Σ_{c′, a, b} w[k, c, 2a + p, 2b + q] · X[c′, i + a, j + b].
///
/// **F(2, 2)** gives two outputs of a two-tap correlation from three products:
/// `y = Aᵀ[(G g) ⊙ (Bᵀ d)]` with
///
///     Bᵀ = [1 −1 0; 0 1 0; 0 −1 1],   G = [1 0; 1 1; 0 1],   Aᵀ = [1 1 0; 0 1 1]
///
/// (`y0 = d0·g0 + d1·g1 = (d0 − d1)·g0 + d1·(g0 + g1)`, likewise `y1`), and in 2-D a 2×2 output
/// tile from a 3×3 input tile: `Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A`. The transforms only add and
/// subtract. Summed over `c′`, the element-wise products of each of the 9 positions `e` of a
/// transformed tile are one matrix product:
///
///     M[e] (T × K) = V[e] (T × 4C) · U[e]ᵀ (4C × K)
///
/// with `V[e][t, c′]` the transformed input tiles, `U[e][k, c′]` the transformed kernels and
/// `t = (image, ti, tj)` the output tiles of a chunk of images; tiles cover `⌈OH/2⌉ × ⌈OW/2⌉`,
/// and outputs of the last tile past `OH` or `OW` are dropped. The two backward passes are the
/// adjoints of the same linear map: the input gradient is `Vgrad[e] = Mgrad[e] · U[e]` taken
/// back through `B` (overlapping tiles add), the weight gradient `Ugrad[e] = Mgrad[e]ᵀ · V[e]`
/// taken back through `G`, where `Mgrad = A dY Aᵀ` per tile.
///
/// The matrices are tile-major (channels contiguous) so that each transform works on 8 channels
/// at once with SIMD8 loads and stores; a tile at a time with scalar code, channels far apart,
/// took as long as the products.
///
/// Rounding differs from a direct convolution by a few units in the last place of the terms
/// (the transforms add before they multiply); tests hold the three passes to the direct kernels.
enum WinogradConvolution {
    /// Floats of one chunk's transformed input tiles `V` (9 × T × 4C, 16 MiB); chunks of images
    /// are cut to stay near it. With it (and 2 blocks per product, see ``BLAS/gemmBatch``) the
    /// dcgan28 step ran at 293 img/s against 282 with 4 MiB (and 4 blocks), means of four
    /// alternating rounds, and made 775 heap allocations against 1,678: fewer, larger products,
    /// and oneDNN's sgemm allocates its packing buffers on every call. Tests lower it to force
    /// one image per chunk.
    nonisolated(unsafe) static var tileBudget = 1 << 22

    /// True for a 4×4 kernel, stride 2, padding 1, even input height and width and at least 16
    /// channels on both sides. DCGAN's 1-channel layers stay on im2col + GEMM: with one input
    /// channel the products' inner dimension would be 4 and the transforms would dominate (not
    /// measured).
    static func takes(_ g: Conv2dGeometry) -> Bool {
        ConvolutionKernels.useWinograd && g.kernelHeight == 4 && g.kernelWidth == 4 && g.strideHeight == 2 && g.strideWidth == 2
            && g.paddingHeight == 1 && g.paddingWidth == 1 && g.inHeight % 2 == 0 && g.inWidth % 2 == 0
            && g.inChannels >= 16 && g.outChannels >= 16
    }

    /// Sizes derived from a geometry.
    struct Tiling {
        /// Input channels C, output channels K, phase channels 4C.
        let channels: Int, outChannels: Int, phaseChannels: Int
        let inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int
        /// Output tiles per image: `tileRows × tileColumns`.
        let tileRows: Int, tileColumns: Int
        var tilesPerImage: Int { tileRows * tileColumns }
        /// Groups of 8 input and output channels (the last may be partial): the transforms' lanes.
        var inputGroups: Int { (channels + 7) / 8 }
        var outputGroups: Int { (outChannels + 7) / 8 }
        /// Floats from one position's matrix to the next in U, V and M (for `tiles` tiles).
        var uStride: Int { spaced(outChannels * phaseChannels) }
        func vStride(_ tiles: Int) -> Int { spaced(phaseChannels * tiles) }
        func mStride(_ tiles: Int) -> Int { spaced(outChannels * tiles) }

        /// `floats` rounded up to whole 4 KiB and 64 bytes added: the 9 matrices of a transform
        /// then start 64 bytes apart modulo 4 KiB. At a multiple of 4 KiB apart (as 256 × 512
        /// floats are) the 9 streams a tile writes fall in one cache set, more than its 8 ways.
        /// The 16 extra floats also let a SIMD8 read run past the last row's channels.
        private func spaced(_ floats: Int) -> Int { (floats + 1023) / 1024 * 1024 + 16 }

        init(_ g: Conv2dGeometry) {
            channels = g.inChannels; outChannels = g.outChannels; phaseChannels = 4 * g.inChannels
            inHeight = g.inHeight; inWidth = g.inWidth; outHeight = g.outHeight; outWidth = g.outWidth
            tileRows = (outHeight + 1) / 2; tileColumns = (outWidth + 1) / 2
        }
    }

    // MARK: the three passes

    /// y[n, k, i, j] = Σ w[k, c, u, v] · x[n, c, 2i + u − 1, 2j + v − 1].  x: [N, C, H, W], w: [K, C, 4, 4] → y (written).
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ g: Conv2dGeometry, into y: UnsafeMutablePointer<Float>) {
        forEachChunk(g, transformingWeight: w) { t, u, images, tiles, v, m in
            transformInput(x, t, images: images, into: v)
            // M[e] (T × K) = V[e] (T × 4C) · U[e]ᵀ (4C × K), e = 0 ..< 9
            BLAS.gemmBatch(count: 9, transposeA: false, transposeB: true, m: tiles, n: t.outChannels, k: t.phaseChannels,
                           a: v, lda: t.phaseChannels, strideA: t.vStride(tiles), b: u, ldb: t.phaseChannels, strideB: t.uStride,
                           c: m, ldc: t.outChannels, strideC: t.mStride(tiles))
            transformOutput(m, t, images: images, into: y)
        }
    }

    /// Input gradient of ``forward``. dy: [N, K, OH, OW], w: [K, C, 4, 4] → dx: [N, C, H, W] (written).
    static func backwardInput(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ g: Conv2dGeometry, into dx: UnsafeMutablePointer<Float>) {
        forEachChunk(g, transformingWeight: w) { t, u, images, tiles, v, m in
            transformOutputGradient(dy, t, images: images, into: m)
            // Vgrad[e] (T × 4C) = Mgrad[e] (T × K) · U[e] (K × 4C)
            BLAS.gemmBatch(count: 9, transposeA: false, transposeB: false, m: tiles, n: t.phaseChannels, k: t.outChannels,
                           a: m, lda: t.outChannels, strideA: t.mStride(tiles), b: u, ldb: t.phaseChannels, strideB: t.uStride,
                           c: v, ldc: t.phaseChannels, strideC: t.vStride(tiles))
            transformInputGradient(v, t, images: images, into: dx)
        }
    }

    /// Weight gradient of ``forward``, summed over the chunks in order.
    /// x: [N, C, H, W], dy: [N, K, OH, OW] → dw: [K, C, 4, 4] (written).
    static func backwardWeight(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ g: Conv2dGeometry, into dw: UnsafeMutablePointer<Float>) {
        let t = Tiling(g)
        BufferPool.withScratch(floats: 9 * t.uStride) { du in
            if g.batch == 0 { du.update(repeating: 0, count: 9 * t.uStride) }
            forEachChunk(g, t) { images, tiles, v, m in
                transformInput(x, t, images: images, into: v)
                transformOutputGradient(dy, t, images: images, into: m)
                // Ugrad[e] (K × 4C) (+)= Mgrad[e]ᵀ (K × T) · V[e] (T × 4C)
                BLAS.gemmBatch(count: 9, transposeA: true, transposeB: false, m: t.outChannels, n: t.phaseChannels, k: tiles,
                               a: m, lda: t.outChannels, strideA: t.mStride(tiles), b: v, ldb: t.phaseChannels, strideB: t.vStride(tiles),
                               beta: images.lowerBound == 0 ? 0 : 1, c: du, ldc: t.phaseChannels, strideC: t.uStride)
            }
            transformWeightGradient(du, t, into: dw)
        }
    }

    /// U of `w` (9 × K × 4C, ``transformWeight(_:_:into:)``) in scratch, then
    /// `body(tiling, u, images, tiles, v, m)` for each chunk as ``forEachChunk(_:_:_:)`` gives them.
    private static func forEachChunk(
        _ g: Conv2dGeometry, transformingWeight w: UnsafePointer<Float>,
        _ body: (Tiling, UnsafePointer<Float>, Range<Int>, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let t = Tiling(g)
        BufferPool.withScratch(floats: 9 * t.uStride) { u in
            transformWeight(w, t, into: u)
            forEachChunk(g, t) { images, tiles, v, m in body(t, u, images, tiles, v, m) }
        }
    }

    /// Calls `body(images, tiles, v, m)` for each chunk of images in order, with scratch
    /// `v` (9 × tiles × 4C floats) and `m` (9 × tiles × K), `tiles` the chunk's output tiles.
    /// Chunks depend on the geometry alone, so results do not depend on the thread count.
    private static func forEachChunk(
        _ g: Conv2dGeometry, _ t: Tiling,
        _ body: (Range<Int>, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let perImage = 9 * t.phaseChannels * t.tilesPerImage
        let chunk = max(1, min(g.batch, tileBudget / max(1, perImage))), chunkTiles = chunk * t.tilesPerImage
        BufferPool.withScratch(floats: 9 * t.vStride(chunkTiles)) { v in
            BufferPool.withScratch(floats: 9 * t.mStride(chunkTiles)) { m in
                for n0 in stride(from: 0, to: g.batch, by: chunk) {
                    let images = n0..<min(g.batch, n0 + chunk)
                    body(images, images.count * t.tilesPerImage, v, m)
                }
            }
        }
    }

    // MARK: weight transforms
    //
    // U[e][k][c′] (9 × K × 4C), e = 3ξ + ν the position in the 3×3 transformed tile, c′ = (2p + q)·C + c.

    /// U[e][k][(2p + q)·C + c] = (G g Gᵀ)[e] with g[a][b] = w[k, c, 2a + p, 2b + q].
    static func transformWeight(_ w: UnsafePointer<Float>, _ t: Tiling, into u: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(t.outChannels * t.channels, costPerElement: 64, WeightTransform(w: w, t: t, u: u))
    }

    /// One task per (k, c) pair of ``transformWeight(_:_:into:)``.
    private struct WeightTransform: ParallelLoop {
        let w: UnsafePointer<Float>, t: Tiling, u: UnsafeMutablePointer<Float>

        func run(_ pairs: Range<Int>) {
            let stride = t.uStride
            for pair in pairs {
                let k = pair / t.channels, c = pair % t.channels
                let kernel = w + pair * 16  // w[k, c] is the 4×4 block at (k·C + c)·16
                for phase in 0..<4 {
                    let p = phase >> 1, q = phase & 1
                    let g00 = kernel[p * 4 + q], g01 = kernel[p * 4 + 2 + q]
                    let g10 = kernel[(2 + p) * 4 + q], g11 = kernel[(2 + p) * 4 + 2 + q]
                    // G g: rows g0, g0 + g1, g1; then the same along columns.
                    let h0 = (g00, g01), h1 = (g00 + g10, g01 + g11), h2 = (g10, g11)
                    let out = u + k * t.phaseChannels + phase * t.channels + c
                    out[0] = h0.0; out[stride] = h0.0 + h0.1; out[2 * stride] = h0.1
                    out[3 * stride] = h1.0; out[4 * stride] = h1.0 + h1.1; out[5 * stride] = h1.1
                    out[6 * stride] = h2.0; out[7 * stride] = h2.0 + h2.1; out[8 * stride] = h2.1
                }
            }
        }
    }

    /// dw[k, c, 2a + p, 2b + q] = (Gᵀ Ugrad G)[a][b] for Ugrad[e][k][(2p + q)·C + c]: the adjoint of ``transformWeight``.
    static func transformWeightGradient(_ du: UnsafePointer<Float>, _ t: Tiling, into dw: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(t.outChannels * t.channels, costPerElement: 64, WeightGradientTransform(du: du, t: t, dw: dw))
    }

    /// One task per (k, c) pair of ``transformWeightGradient(_:_:into:)``.
    private struct WeightGradientTransform: ParallelLoop {
        let du: UnsafePointer<Float>, t: Tiling, dw: UnsafeMutablePointer<Float>

        func run(_ pairs: Range<Int>) {
            let stride = t.uStride
            for pair in pairs {
                let k = pair / t.channels, c = pair % t.channels
                let kernel = dw + pair * 16
                for phase in 0..<4 {
                    let p = phase >> 1, q = phase & 1
                    let src = du + k * t.phaseChannels + phase * t.channels + c
                    // Gᵀ along columns: (u0 + u1, u1 + u2) per row ξ, then along rows.
                    let r0 = (src[0] + src[stride], src[stride] + src[2 * stride])
                    let r1 = (src[3 * stride] + src[4 * stride], src[4 * stride] + src[5 * stride])
                    let r2 = (src[6 * stride] + src[7 * stride], src[7 * stride] + src[8 * stride])
                    kernel[p * 4 + q] = r0.0 + r1.0
                    kernel[p * 4 + 2 + q] = r0.1 + r1.1
                    kernel[(2 + p) * 4 + q] = r1.0 + r2.0
                    kernel[(2 + p) * 4 + 2 + q] = r1.1 + r2.1
                }
            }
        }
    }

    // MARK: activation transforms
    //
    // V[e][t][c′] (9 × T × 4C) and M[e][t][k] (9 × T × K), t = (n − n0)·tilesPerImage + ti·tileColumns + tj.
    // Each task takes one image and a group of 8 channels (fewer in the last group): it gathers
    // their planes into a SIMD8 layout (lane = channel), transforms 8 channels per operation and
    // writes 8 contiguous floats of a matrix row.

    typealias Lanes = SIMD8<Float>

    /// V[e][t][(2p + q)·C + c] = (Bᵀ d B)[e] for the 3×3 tile d[r][s] = X[(2p + q)·C + c, 2ti + r, 2tj + s]
    /// of images `images` of x: [N, C, H, W].
    ///
    /// Tile (ti, tj) of phase (p, q) reads padded rows `4ti + 2r + p` and columns `4tj + 2s + q`;
    /// in the ``ResiduePlane`` layout its columns s = 0, 1, 2 are entries tj, tj and tj + 1 of
    /// the runs of residues q, q + 2 and q.
    static func transformInput(_ x: UnsafePointer<Float>, _ t: Tiling, images: Range<Int>, into v: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(images.count * t.inputGroups, costPerElement: 8 * 4 * 9 * t.tilesPerImage, InputTransform(x: x, t: t, images: images, v: v))
    }

    /// One task per (image, group of 8 channels) of ``transformInput(_:_:images:into:)``.
    private struct InputTransform: ParallelLoop {
        let x: UnsafePointer<Float>, t: Tiling, images: Range<Int>, v: UnsafeMutablePointer<Float>

        func run(_ tasks: Range<Int>) {
            let tiles = images.count * t.tilesPerImage, stride = t.vStride(tiles), cp = t.phaseChannels
            let groups = t.inputGroups, layout = ResiduePlane(t), tw = t.tileColumns
            withLaneScratch(layout.count) { plane in
                // The padding entries stay 0: every task writes the same pixel entries.
                plane.update(repeating: Lanes(), count: layout.count)
                for task in tasks {
                    let n = task / groups, c0 = (task % groups) * 8, lanes = min(8, t.channels - c0)
                    layout.gather(x + ((images.lowerBound + n) * t.channels + c0) * t.inHeight * t.inWidth, lanes: lanes, into: plane)
                    for phase in 0..<4 {
                        let p = phase >> 1, q = phase & 1
                        let out = v + n * t.tilesPerImage * cp + phase * t.channels + c0
                        for ti in 0..<t.tileRows {
                            // Columns s = 0 and 2 (entries tj, tj + 1) and s = 1 (entry tj) of tap rows r = 0, 1, 2.
                            let a0 = plane + layout.run(residue: q, row: 4 * ti + p), b0 = plane + layout.run(residue: q + 2, row: 4 * ti + p)
                            let a1 = a0 + 2 * layout.runLength, b1 = b0 + 2 * layout.runLength
                            let a2 = a1 + 2 * layout.runLength, b2 = b1 + 2 * layout.runLength
                            for tj in 0..<tw {
                                // Bᵀ d: rows d0 − d1, d1, d2 − d1, for each column s.
                                let e00 = a0[tj] - a1[tj], e01 = b0[tj] - b1[tj], e02 = a0[tj + 1] - a1[tj + 1]
                                let e10 = a1[tj], e11 = b1[tj], e12 = a1[tj + 1]
                                let e20 = a2[tj] - a1[tj], e21 = b2[tj] - b1[tj], e22 = a2[tj + 1] - a1[tj + 1]
                                // (Bᵀ d) B: the same along each row.
                                let o = out + (ti * tw + tj) * cp
                                put(e00 - e01, o, lanes); put(e01, o + stride, lanes); put(e02 - e01, o + 2 * stride, lanes)
                                put(e10 - e11, o + 3 * stride, lanes); put(e11, o + 4 * stride, lanes); put(e12 - e11, o + 5 * stride, lanes)
                                put(e20 - e21, o + 6 * stride, lanes); put(e21, o + 7 * stride, lanes); put(e22 - e21, o + 8 * stride, lanes)
                            }
                        }
                    }
                }
            }
        }
    }

    /// dx[n, c] for images `images` from Vgrad[e][t][c′]: each tile's `B Vgrad Bᵀ` added into the
    /// plane at the pixels the tile read (tiles overlap by one row and column), then the plane
    /// stored. The adjoint of ``transformInput``, in the same layout.
    static func transformInputGradient(_ v: UnsafePointer<Float>, _ t: Tiling, images: Range<Int>, into dx: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(images.count * t.inputGroups, costPerElement: 8 * 4 * 9 * t.tilesPerImage, InputGradientTransform(v: v, t: t, images: images, dx: dx))
    }

    /// One task per (image, group of 8 channels) of ``transformInputGradient(_:_:images:into:)``.
    private struct InputGradientTransform: ParallelLoop {
        let v: UnsafePointer<Float>, t: Tiling, images: Range<Int>, dx: UnsafeMutablePointer<Float>

        func run(_ tasks: Range<Int>) {
            let tiles = images.count * t.tilesPerImage, stride = t.vStride(tiles), cp = t.phaseChannels
            let groups = t.inputGroups, layout = ResiduePlane(t), tw = t.tileColumns
            withLaneScratch(layout.count) { plane in
                for task in tasks {
                    let n = task / groups, c0 = (task % groups) * 8, lanes = min(8, t.channels - c0)
                    plane.update(repeating: Lanes(), count: layout.count)
                    for phase in 0..<4 {
                        let p = phase >> 1, q = phase & 1
                        // Lanes past the group's channels read neighbouring values (or the
                        // matrix's spare floats) and are never stored.
                        let src = v + n * t.tilesPerImage * cp + phase * t.channels + c0
                        for ti in 0..<t.tileRows {
                            let a0 = plane + layout.run(residue: q, row: 4 * ti + p), b0 = plane + layout.run(residue: q + 2, row: 4 * ti + p)
                            let a1 = a0 + 2 * layout.runLength, b1 = b0 + 2 * layout.runLength
                            let a2 = a1 + 2 * layout.runLength, b2 = b1 + 2 * layout.runLength
                            for tj in 0..<tw {
                                let o = src + (ti * tw + tj) * cp
                                let v0 = get(o), v1 = get(o + stride), v2 = get(o + 2 * stride)
                                let v3 = get(o + 3 * stride), v4 = get(o + 4 * stride), v5 = get(o + 5 * stride)
                                let v6 = get(o + 6 * stride), v7 = get(o + 7 * stride), v8 = get(o + 8 * stride)
                                // Adjoint of the column step, per row ξ: f0 = v0, f1 = −v0 + v1 − v2, f2 = v2.
                                let f01 = v1 - v0 - v2, f11 = v4 - v3 - v5, f21 = v7 - v6 - v8
                                // Adjoint of the row step: d0 = f0, d1 = −f0 + f1 − f2, d2 = f2.
                                a0[tj] += v0; b0[tj] += f01; a0[tj + 1] += v2
                                a1[tj] += v3 - v0 - v6; b1[tj] += f11 - f01 - f21; a1[tj + 1] += v5 - v2 - v8
                                a2[tj] += v6; b2[tj] += f21; a2[tj + 1] += v8
                            }
                        }
                    }
                    layout.scatter(plane, lanes: lanes, into: dx + ((images.lowerBound + n) * t.channels + c0) * t.inHeight * t.inWidth)
                }
            }
        }
    }

    /// y[n, k, 2ti + a, 2tj + b] = (Aᵀ M A)[a][b] for the images of the chunk, outputs past OH or OW dropped.
    static func transformOutput(_ m: UnsafePointer<Float>, _ t: Tiling, images: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(images.count * t.outputGroups, costPerElement: 8 * 9 * t.tilesPerImage, OutputTransform(m: m, t: t, images: images, y: y))
    }

    /// One task per (image, group of 8 output channels) of ``transformOutput(_:_:images:into:)``.
    private struct OutputTransform: ParallelLoop {
        let m: UnsafePointer<Float>, t: Tiling, images: Range<Int>, y: UnsafeMutablePointer<Float>

        func run(_ tasks: Range<Int>) {
            let tiles = images.count * t.tilesPerImage, stride = t.mStride(tiles), kk = t.outChannels
            let groups = t.outputGroups, layout = TilePlane(t), tw = t.tileColumns
            withLaneScratch(layout.count) { plane in
                for task in tasks {
                    let n = task / groups, k0 = (task % groups) * 8, lanes = min(8, kk - k0)
                    let src = m + n * t.tilesPerImage * kk + k0
                    for ti in 0..<t.tileRows {
                        let row0 = plane + 2 * ti * layout.width, row1 = row0 + layout.width
                        for tj in 0..<tw {
                            let o = src + (ti * tw + tj) * kk
                            // Aᵀ along columns of each row ξ: (m0 + m1, m1 + m2); then along rows.
                            let m1 = get(o + stride), m4 = get(o + 4 * stride), m7 = get(o + 7 * stride)
                            let r00 = get(o) + m1, r01 = m1 + get(o + 2 * stride)
                            let r10 = get(o + 3 * stride) + m4, r11 = m4 + get(o + 5 * stride)
                            let r20 = get(o + 6 * stride) + m7, r21 = m7 + get(o + 8 * stride)
                            row0[2 * tj] = r00 + r10; row0[2 * tj + 1] = r01 + r11
                            row1[2 * tj] = r10 + r20; row1[2 * tj + 1] = r11 + r21
                        }
                    }
                    layout.scatter(plane, lanes: lanes, into: y + ((images.lowerBound + n) * kk + k0) * t.outHeight * t.outWidth)
                }
            }
        }
    }

    /// Mgrad[e][t][k] = (A dY Aᵀ)[e] for the 2×2 tiles of dy: [N, K, OH, OW] (0 past OH or OW):
    /// the adjoint of ``transformOutput``.
    static func transformOutputGradient(_ dy: UnsafePointer<Float>, _ t: Tiling, images: Range<Int>, into m: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(images.count * t.outputGroups, costPerElement: 8 * 9 * t.tilesPerImage, OutputGradientTransform(dy: dy, t: t, images: images, m: m))
    }

    /// One task per (image, group of 8 output channels) of ``transformOutputGradient(_:_:images:into:)``.
    private struct OutputGradientTransform: ParallelLoop {
        let dy: UnsafePointer<Float>, t: Tiling, images: Range<Int>, m: UnsafeMutablePointer<Float>

        func run(_ tasks: Range<Int>) {
            let tiles = images.count * t.tilesPerImage, stride = t.mStride(tiles), kk = t.outChannels
            let groups = t.outputGroups, layout = TilePlane(t), tw = t.tileColumns
            withLaneScratch(layout.count) { plane in
                // The grid past OH and OW stays 0: every task writes the same entries.
                plane.update(repeating: Lanes(), count: layout.count)
                for task in tasks {
                    let n = task / groups, k0 = (task % groups) * 8, lanes = min(8, kk - k0)
                    layout.gather(dy + ((images.lowerBound + n) * kk + k0) * t.outHeight * t.outWidth, lanes: lanes, into: plane)
                    let out = m + n * t.tilesPerImage * kk + k0
                    for ti in 0..<t.tileRows {
                        let row0 = plane + 2 * ti * layout.width, row1 = row0 + layout.width
                        for tj in 0..<tw {
                            let y00 = row0[2 * tj], y01 = row0[2 * tj + 1], y10 = row1[2 * tj], y11 = row1[2 * tj + 1]
                            // A along rows: (y0, y0 + y1, y1); then along columns.
                            let s0 = y00 + y10, s1 = y01 + y11
                            let o = out + (ti * tw + tj) * kk
                            put(y00, o, lanes); put(y00 + y01, o + stride, lanes); put(y01, o + 2 * stride, lanes)
                            put(s0, o + 3 * stride, lanes); put(s0 + s1, o + 4 * stride, lanes); put(s1, o + 5 * stride, lanes)
                            put(y10, o + 6 * stride, lanes); put(y10 + y11, o + 7 * stride, lanes); put(y11, o + 8 * stride, lanes)
                        }
                    }
                }
            }
        }
    }

    /// 8 floats from `p` (unaligned).
    @inline(__always)
    private static func get(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }

    /// The first `lanes` lanes of `value` to `p ..< p + lanes`.
    @inline(__always)
    private static func put(_ value: Lanes, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
        if lanes == 8 {
            UnsafeMutableRawPointer(p).storeBytes(of: value, as: Lanes.self)
        } else {
            for l in 0..<lanes { p[l] = value[l] }
        }
    }

    /// Up to 8 consecutive input planes `[H, W]` (one per lane) with their zero padding, columns
    /// split by residue modulo 4: entry `[res, row, u]` holds, in lane l, the padded pixel
    /// `[row, 4u + res]` of plane l, i.e. `x[l, row − 1, 4u + res − 1]` (0 outside x), for padded
    /// rows `0 ..< 4·tileRows + 2` (tile ti, tap row r, phase p reads row `4ti + 2r + p`) and
    /// `u` in `0 ... tileColumns`.
    struct ResiduePlane {
        let height: Int, width: Int, rows: Int
        /// Entries of one run (one residue of one row): `tileColumns + 1`.
        let runLength: Int
        /// Entries (SIMD8 vectors) of the whole layout.
        var count: Int { 4 * rows * runLength }

        init(_ t: Tiling) {
            height = t.inHeight; width = t.inWidth; rows = 4 * t.tileRows + 2; runLength = t.tileColumns + 1
        }

        /// Offset (in entries) of the run of residue `residue` at padded row `row`.
        @inline(__always)
        func run(residue: Int, row: Int) -> Int { (residue * rows + row) * runLength }

        /// Offset (in entries) of pixel `(iy, ix)` of the plane.
        @inline(__always)
        func entry(_ iy: Int, _ ix: Int) -> Int { run(residue: (ix + 1) & 3, row: iy + 1) + (ix + 1) >> 2 }

        /// planes [lanes, H, W] → this layout's pixel entries (the padding entries are not
        /// written, and lanes past `lanes` hold anything).
        func gather(_ planes: UnsafePointer<Float>, lanes: Int, into layout: UnsafeMutablePointer<Lanes>) {
            for iy in 0..<height {
                let row = planes + iy * width
                for ix in 0..<width { layout[entry(iy, ix)] = WinogradConvolution.gather(row + ix, stride: height * width, lanes) }
            }
        }

        /// This layout's pixel entries → planes [lanes, H, W].
        func scatter(_ layout: UnsafePointer<Lanes>, lanes: Int, into planes: UnsafeMutablePointer<Float>) {
            for iy in 0..<height {
                let row = planes + iy * width
                for ix in 0..<width { WinogradConvolution.scatter(layout[entry(iy, ix)], row + ix, stride: height * width, lanes) }
            }
        }
    }

    /// Up to 8 consecutive output planes `[OH, OW]` (one per lane) on the tiles' whole grid
    /// `[2·tileRows, 2·tileColumns]`: entry `[i, j]` holds, in lane l, `y[l, i, j]` (0 past OH or OW).
    struct TilePlane {
        let height: Int, width: Int, outHeight: Int, outWidth: Int
        var count: Int { height * width }

        init(_ t: Tiling) {
            height = 2 * t.tileRows; width = 2 * t.tileColumns; outHeight = t.outHeight; outWidth = t.outWidth
        }

        /// planes [lanes, OH, OW] → this layout's entries within OH × OW (the rest are not
        /// written, and lanes past `lanes` hold anything).
        func gather(_ planes: UnsafePointer<Float>, lanes: Int, into layout: UnsafeMutablePointer<Lanes>) {
            for i in 0..<outHeight {
                let row = planes + i * outWidth
                for j in 0..<outWidth { layout[i * width + j] = WinogradConvolution.gather(row + j, stride: outHeight * outWidth, lanes) }
            }
        }

        /// This layout's entries within OH × OW → planes [lanes, OH, OW].
        func scatter(_ layout: UnsafePointer<Lanes>, lanes: Int, into planes: UnsafeMutablePointer<Float>) {
            for i in 0..<outHeight {
                let row = planes + i * outWidth
                for j in 0..<outWidth { WinogradConvolution.scatter(layout[i * width + j], row + j, stride: outHeight * outWidth, lanes) }
            }
        }
    }

    /// Runs `body` with `count` SIMD8 entries of cached scratch (contents undefined): a task's
    /// plane in a transform's layout.
    static func withLaneScratch(_ count: Int, _ body: (UnsafeMutablePointer<Lanes>) -> Void) {
        BufferPool.withScratch(floats: 8 * count) { buffer in
            body(UnsafeMutableRawPointer(buffer).bindMemory(to: Lanes.self, capacity: count))
        }
    }

    /// `p[0], p[stride], …, p[(lanes − 1)·stride]` in lanes 0 ..< lanes (the same pixel of
    /// consecutive planes; lanes past `lanes` are 0).
    @inline(__always)
    static func gather(_ p: UnsafePointer<Float>, stride: Int, _ lanes: Int) -> Lanes {
        if lanes == 8 {
            return Lanes(p[0], p[stride], p[2 * stride], p[3 * stride], p[4 * stride], p[5 * stride], p[6 * stride], p[7 * stride])
        }
        var value = Lanes()
        for l in 0..<lanes { value[l] = p[l * stride] }
        return value
    }

    /// Lanes 0 ..< lanes of `value` to `p[0], p[stride], …`.
    @inline(__always)
    static func scatter(_ value: Lanes, _ p: UnsafeMutablePointer<Float>, stride: Int, _ lanes: Int) {
        for l in 0..<lanes { p[l * stride] = value[l] }
    }
}
