/// How oneDNN's convolution kernels read a batch of activations `[images, channels, pixels]`.
public enum ActivationLayout: Hashable, Sendable {
    /// `nChw{b}c` (oneDNN's `aBcd16b` / `aBcd8b`): channels in groups of `b`, each group stored
    /// pixel by pixel with its `b` channels adjacent:
    /// `blocked[n][g][p][j] = plain[n][g·b + j][p]` (g < C / b, j < b). Blocks of 16 (AVX-512
    /// kernels) and 8 (AVX2).
    case blocked(Int)
    /// `nhwc` (oneDNN's `acdb`): every pixel's channels adjacent, `channelsLast[n][p][c] = plain[n][c][p]`.
    case channelsLast

    /// Channels converted together, one transpose per group: the block, or for channels-last
    /// 16 or 8, whichever divides `channels`.
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
        convert(plain, converted, images: images, channels: channels, pixels: pixels, layout: layout, toPlain: false)
    }

    /// `converted` in `layout` → `plain` [images, channels, pixels].
    public static func toPlain(
        _ converted: UnsafePointer<Float>, _ plain: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, pixels: Int, layout: ActivationLayout
    ) {
        convert(converted, plain, images: images, channels: channels, pixels: pixels, layout: layout, toPlain: true)
    }

    /// Every group of channels of every image as a transpose: the group's planes are a
    /// `[group × pixels]` matrix with rows `pixels` apart, its rows in `layout` a
    /// `[pixels × group]` matrix with rows `pixelStride` apart; `toPlain` says which is the source.
    private static func convert(
        _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, pixels: Int, layout: ActivationLayout, toPlain: Bool
    ) {
        let group = checkedGroup(layout, channels: channels)
        let strides = layout.strides(channels: channels, pixels: pixels), pixelStride = strides.pixel
        // Group g of image n: its planes at (n·C + g·group)·P in the plain array, its first
        // pixel's row at n·C·P + g·groupStride in the converted one.
        for n in 0..<images {
            for g in 0..<channels / group {
                let planes = (n * channels + g * group) * pixels, rows = n * channels * pixels + g * strides.group
                if toPlain {
                    transpose(source + rows, rows: pixels, columns: group, rowStride: pixelStride,
                              into: destination + planes, rowStride: pixels)
                } else {
                    transpose(source + planes, rows: group, columns: pixels, rowStride: pixels,
                              into: destination + rows, rowStride: pixelStride)
                }
            }
        }
    }

    /// `destination[c][r] = source[r][c]` for `r < rows`, `c < columns`, each matrix's rows the
    /// given strides apart: 4×4 tiles through a SIMD transpose (four row vectors in, four
    /// column vectors out), the edges one element at a time. The outer loop walks the longer
    /// side, normally the pixels rather than a group's channels: converting into oneDNN's layout
    /// then writes each pixel's row of a group whole (a cache line for 16 channels) before the
    /// next, and walking the channels outside ran the conversion of 128×14×14 activations into
    /// nhwc at batch 64 in 0.36 ms instead of 0.13–0.20.
    @inline(__always)
    private static func transpose(
        _ source: UnsafePointer<Float>, rows: Int, columns: Int, rowStride sourceStride: Int,
        into destination: UnsafeMutablePointer<Float>, rowStride destinationStride: Int
    ) {
        let wholeRows = rows / 4 * 4, wholeColumns = columns / 4 * 4
        @inline(__always) func tile(_ r: Int, _ c: Int) {
            let from = source + r * sourceStride + c, to = destination + c * destinationStride + r
            let t = transposed(
                load(from), load(from + sourceStride), load(from + 2 * sourceStride), load(from + 3 * sourceStride))
            store(t.0, to)
            store(t.1, to + destinationStride)
            store(t.2, to + 2 * destinationStride)
            store(t.3, to + 3 * destinationStride)
        }
        if rows >= columns {
            for r in stride(from: 0, to: wholeRows, by: 4) { for c in stride(from: 0, to: wholeColumns, by: 4) { tile(r, c) } }
        } else {
            for c in stride(from: 0, to: wholeColumns, by: 4) { for r in stride(from: 0, to: wholeRows, by: 4) { tile(r, c) } }
        }
        // The edges: the last `columns % 4` columns of the whole rows, then the last `rows % 4` rows.
        for r in 0..<wholeRows {
            for c in wholeColumns..<columns { destination[c * destinationStride + r] = source[r * sourceStride + c] }
        }
        for r in wholeRows..<rows {
            for c in 0..<columns { destination[c * destinationStride + r] = source[r * sourceStride + c] }
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
    /// of interleaving, which the compiler emits as unpack and move shuffles; the per-element
    /// gathers they replaced made the conversions 1.5–7× slower in `gan-bench memory`).
    @inline(__always)
    private static func transposed(
        _ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>
    ) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let ab01 = SIMD4(a[0], b[0], a[1], b[1]), ab23 = SIMD4(a[2], b[2], a[3], b[3])
        let cd01 = SIMD4(c[0], d[0], c[1], d[1]), cd23 = SIMD4(c[2], d[2], c[3], d[3])
        return (SIMD4(ab01[0], ab01[1], cd01[0], cd01[1]), SIMD4(ab01[2], ab01[3], cd01[2], cd01[3]),
                SIMD4(ab23[0], ab23[1], cd23[0], cd23[1]), SIMD4(ab23[2], ab23[3], cd23[2], cd23[3]))
    }
}
