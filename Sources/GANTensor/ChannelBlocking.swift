/// How oneDNN's convolution kernels read a batch of activations `[images, channels, pixels]`.
public enum ActivationLayout: Hashable, Sendable {
    /// `nChw{b}c` (oneDNN's `aBcd16b` / `aBcd8b`): channels in groups of `b`, each group stored
    /// pixel by pixel with its `b` channels adjacent:
    /// `blocked[n][g][p][j] = plain[n][g·b + j][p]` (g < C / b, j < b). Blocks of 16 (AVX-512
    /// kernels) and 8 (AVX2).
    case blocked(Int)
    /// `nhwc` (oneDNN's `acdb`): every pixel's channels adjacent, `channelsLast[n][p][c] = plain[n][c][p]`.
    case channelsLast

    /// Channels moved together (the fixed length of the conversions' inner loops): the block,
    /// or for channels-last 16 or 8, whichever divides `channels`.
    func group(channels: Int) -> Int {
        switch self {
        case .blocked(let block): block
        case .channelsLast: channels % 16 == 0 ? 16 : 8
        }
    }

    /// Distance in floats between the same group's rows of consecutive pixels, and between
    /// consecutive groups of one image.
    func strides(channels: Int, pixels: Int) -> (pixel: Int, group: Int) {
        switch self {
        case .blocked(let block): (block, pixels * block)
        case .channelsLast: (channels, group(channels: channels))
        }
    }
}

/// Conversions between NCHW and the layouts oneDNN's direct convolution kernels read
/// (``ActivationLayout``).
///
/// SwiftGAN converts these itself rather than through oneDNN reorder primitives: each oneDNN
/// execution allocates on the heap, and two of every part's three executions were reorders.
/// Channel counts must be multiples of the group (16 or 8; no padding channels).
public enum ChannelBlocking {
    /// `plain` [images, channels, pixels] → `converted` in `layout`.
    public static func toBlocked(
        _ plain: UnsafePointer<Float>, _ converted: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, pixels: Int, layout: ActivationLayout
    ) {
        let group = checkedGroup(layout, channels: channels)
        let pixelStride = layout.strides(channels: channels, pixels: pixels).pixel
        forEachGroup(images: images, channels: channels, pixels: pixels, layout: layout) { planes, rows in
            let source = plain + planes, row = converted + rows
            // 4 pixels × 4 channels at a time: four plane vectors in, four row vectors out.
            let whole = pixels / 4 * 4
            for q in stride(from: 0, to: whole, by: 4) {
                for j in stride(from: 0, to: group, by: 4) {
                    let t = transposed(
                        load(source + j * pixels + q), load(source + (j + 1) * pixels + q),
                        load(source + (j + 2) * pixels + q), load(source + (j + 3) * pixels + q))
                    store(t.0, row + q * pixelStride + j)
                    store(t.1, row + (q + 1) * pixelStride + j)
                    store(t.2, row + (q + 2) * pixelStride + j)
                    store(t.3, row + (q + 3) * pixelStride + j)
                }
            }
            for q in whole..<pixels {
                for j in 0..<group { row[q * pixelStride + j] = source[j * pixels + q] }
            }
        }
    }

    /// `converted` in `layout` → `plain` [images, channels, pixels].
    public static func toPlain(
        _ converted: UnsafePointer<Float>, _ plain: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, pixels: Int, layout: ActivationLayout
    ) {
        let group = checkedGroup(layout, channels: channels)
        let pixelStride = layout.strides(channels: channels, pixels: pixels).pixel
        forEachGroup(images: images, channels: channels, pixels: pixels, layout: layout) { planes, rows in
            let plane = plain + planes, row = converted + rows
            // 4 pixels × 4 channels at a time: four row vectors in, four plane vectors out.
            let whole = pixels / 4 * 4
            for q in stride(from: 0, to: whole, by: 4) {
                for j in stride(from: 0, to: group, by: 4) {
                    let t = transposed(
                        load(row + q * pixelStride + j), load(row + (q + 1) * pixelStride + j),
                        load(row + (q + 2) * pixelStride + j), load(row + (q + 3) * pixelStride + j))
                    store(t.0, plane + j * pixels + q)
                    store(t.1, plane + (j + 1) * pixels + q)
                    store(t.2, plane + (j + 2) * pixels + q)
                    store(t.3, plane + (j + 3) * pixels + q)
                }
            }
            for q in whole..<pixels {
                for j in 0..<group { plane[j * pixels + q] = row[q * pixelStride + j] }
            }
        }
    }

    private static func checkedGroup(_ layout: ActivationLayout, channels: Int) -> Int {
        let group = layout.group(channels: channels)
        precondition((group == 16 || group == 8) && channels % group == 0,
                     "ChannelBlocking: \(channels) channels in \(layout); groups of 16 or 8 dividing the channels")
        return group
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    private static func store(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
    }

    /// The 4×4 transpose of the rows `a`, `b`, `c`, `d`: its rows are their columns (two rounds
    /// of interleaving, which the compiler emits as unpack and move shuffles; 16 scalar moves
    /// through a vector register before, 4–5× slower here).
    @inline(__always)
    private static func transposed(
        _ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>
    ) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let ab01 = SIMD4(a[0], b[0], a[1], b[1]), ab23 = SIMD4(a[2], b[2], a[3], b[3])
        let cd01 = SIMD4(c[0], d[0], c[1], d[1]), cd23 = SIMD4(c[2], d[2], c[3], d[3])
        return (SIMD4(ab01[0], ab01[1], cd01[0], cd01[1]), SIMD4(ab01[2], ab01[3], cd01[2], cd01[3]),
                SIMD4(ab23[0], ab23[1], cd23[0], cd23[1]), SIMD4(ab23[2], ab23[3], cd23[2], cd23[3]))
    }

    /// Calls `body(planes, rows)` for every group of channels (``ActivationLayout/group(channels:)``)
    /// of every image: `planes` is the offset of the group's first plane in the plain array,
    /// `rows` that of its first pixel's row in the converted one.
    @inline(__always)
    private static func forEachGroup(
        images: Int, channels: Int, pixels: Int, layout: ActivationLayout, _ body: (_ planes: Int, _ rows: Int) -> Void
    ) {
        let group = layout.group(channels: channels), groupStride = layout.strides(channels: channels, pixels: pixels).group
        for n in 0..<images {
            for g in 0..<channels / group { body((n * channels + g * group) * pixels, n * channels * pixels + g * groupStride) }
        }
    }
}
