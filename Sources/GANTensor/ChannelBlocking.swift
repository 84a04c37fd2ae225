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
/// (``ActivationLayout``; channel counts must be multiples of the group, 16 or 8, no padding
/// channels), and between row-major arrays and any ``BlockedLayout`` (the weights').
///
/// SwiftGAN converts these itself rather than through oneDNN reorder primitives: each oneDNN
/// execution allocates on the heap, and two of every part's three executions were reorders.
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
                    transpose(source + rows, rows: pixels, columns: group, rowStride: pixelStride, sourceRowsOutside: pixels >= group,
                              into: destination + planes, rowStride: pixels)
                } else {
                    transpose(source + planes, rows: group, columns: pixels, rowStride: pixels, sourceRowsOutside: group >= pixels,
                              into: destination + rows, rowStride: pixelStride)
                }
            }
        }
    }

    /// `destination[c][r] = source[r][c]` for `r < rows`, `c < columns`, each matrix's rows the
    /// given strides apart: 4×4 tiles through a SIMD transpose (four row vectors in, four
    /// column vectors out), the edges one element at a time. The outer loop walks the source's
    /// rows when `sourceRowsOutside`, else the destination's. Activations walk the longer side,
    /// normally the pixels rather than a group's channels: converting into oneDNN's layout then
    /// writes each pixel's row of a group whole (a cache line for 16 channels) before the next,
    /// and walking the channels outside ran the conversion of 128×14×14 activations into nhwc at
    /// batch 64 in 0.36 ms instead of 0.13–0.20.
    @inline(__always)
    fileprivate static func transpose(
        _ source: UnsafePointer<Float>, rows: Int, columns: Int, rowStride sourceStride: Int, sourceRowsOutside: Bool,
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
        if sourceRowsOutside {
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
        require((group == 16 || group == 8) && channels % group == 0,
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

/// Any layout of a 4-D array that oneDNN describes as "blocked" (its weights' `OIhw16i16o`,
/// `OIhw16o16i`, `Ohwi32o`, …): dimension `d`'s index `i` splits into `i / inner(d)`, which
/// strides by `outerStrides[d]`, and `i % inner(d)`, whose digits go into the inner blocks,
/// `inner(d)` being the product of the sizes of `d`'s inner blocks. The inner blocks nest in
/// the order given, the last innermost, so the element's offset is
///
///     Σ_d (i_d / inner(d)) · outerStrides[d]  +  Σ_k digit_k · Π_{j > k} innerBlocks[j].size
///
/// where `digit_k` is block k's digit of `i_d % inner(d)` (the most significant in the first of
/// `d`'s blocks). Every term depends on one dimension only, so the layout keeps tables of
/// them: one for dimension 0, one for 1, one for the pairs of the last two.
/// `paddedDimensions` (multiples of `inner(d)`, ≥ `dimensions`) give the array's extent;
/// elements past `dimensions` are padding.
public struct BlockedLayout: Sendable {
    public let dimensions: [Int]
    /// Floats the blocked array spans, padding (and any gap the strides leave) included: one
    /// past the offset of the last padded element.
    public let floats: Int
    /// The terms of dimensions 0 and 1 (`terms[i0]`, `terms[dimensions[0] + i1]`), then the
    /// sums of the terms of dimensions 2 and 3 (`terms[dimensions[0] + dimensions[1] + i2 · d3 + i3]`).
    private let terms: [Int]
    /// Indices of dimensions 0 and 1 that ``convert(plain:blocked:toPlain:)`` moves together.
    private let tile: (Int, Int)
    /// When the innermost block runs along dimension 0 or 1: that dimension, the block's size,
    /// and the even spacing of the last two dimensions' terms (nil when they are not evenly spaced).
    private let transposable: (dimension: Int, size: Int, spacing: Int)?

    /// Whether ``init(dimensions:paddedDimensions:outerStrides:innerBlocks:)`` takes these: four
    /// dimensions and padded dimensions, inner blocks along dimensions 0..<4 with positive sizes,
    /// and every padded dimension at least its dimension and a multiple of the product of its
    /// inner blocks' sizes.
    public static func accepts(dimensions: [Int], paddedDimensions: [Int], innerBlocks: [(dimension: Int, size: Int)]) -> Bool {
        guard dimensions.count == 4, paddedDimensions.count == 4,
              innerBlocks.allSatisfy({ (0..<4).contains($0.dimension) && $0.size > 0 }) else { return false }
        let inner = innerSizes(innerBlocks)
        return (0..<4).allSatisfy { paddedDimensions[$0] >= dimensions[$0] && paddedDimensions[$0] % inner[$0] == 0 }
    }

    /// Per dimension, the product of its inner blocks' sizes.
    private static func innerSizes(_ innerBlocks: [(dimension: Int, size: Int)]) -> [Int] {
        (0..<4).map { d in innerBlocks.filter { $0.dimension == d }.reduce(1) { $0 * $1.size } }
    }

    /// The layout of `dimensions` (padded to `paddedDimensions`); see ``accepts(dimensions:paddedDimensions:innerBlocks:)``.
    public init(dimensions: [Int], paddedDimensions: [Int], outerStrides: [Int], innerBlocks: [(dimension: Int, size: Int)]) {
        require(
            outerStrides.count == 4
                && Self.accepts(dimensions: dimensions, paddedDimensions: paddedDimensions, innerBlocks: innerBlocks),
            "BlockedLayout: dimensions \(dimensions) padded to \(paddedDimensions), strides \(outerStrides), "
                + "inner blocks \(innerBlocks): expected four of each, blocks along 0..<4 with positive sizes, "
                + "padded dimensions multiples of their blocks")
        // weights[k]: floats between consecutive digits of block k.
        var weights = [Int](repeating: 1, count: innerBlocks.count)
        for k in innerBlocks.indices.dropLast().reversed() { weights[k] = weights[k + 1] * innerBlocks[k + 1].size }
        let innerSizes = Self.innerSizes(innerBlocks)
        let perDimension = (0..<4).map { d in
            let inner = innerSizes[d]
            return (0..<dimensions[d]).map { i in
                var term = i / inner * outerStrides[d]
                // The digits of i mod inner, most significant first: `below` is the product of
                // d's blocks after block k.
                var below = inner
                for (k, block) in innerBlocks.enumerated() where block.dimension == d {
                    below /= block.size
                    term += i % inner / below % block.size * weights[k]
                }
                return term
            }
        }
        terms = perDimension[0] + perDimension[1] + perDimension[2].flatMap { t2 in perDimension[3].map { t2 + $0 } }
        self.dimensions = dimensions
        floats = 1 + (0..<4).reduce(innerSizes.reduce(1, *) - 1) { $0 + (paddedDimensions[$1] / innerSizes[$1] - 1) * outerStrides[$1] }
        // At least 16 × 16, in whole blocks: an unblocked dimension's rows are otherwise moved
        // a few floats at a time, each from another page.
        tile = (innerSizes[0] * max(1, 16 / innerSizes[0]), innerSizes[1] * max(1, 16 / innerSizes[1]))
        // The last two dimensions' terms (the first is 0): evenly spaced by `step`?
        let spatial = terms.suffix(dimensions[2] * dimensions[3]), step = spatial.dropFirst().first ?? 1
        if let block = innerBlocks.last, block.dimension < 2, zip(spatial, spatial.dropFirst()).allSatisfy({ $1 - $0 == step }) {
            transposable = (block.dimension, block.size, step)
        } else {
            transposable = nil
        }
    }

    /// True when the array has elements outside `dimensions` (padding or gaps).
    var isPadded: Bool { floats != dimensions.reduce(1, *) }

    /// True when ``convert(plain:blocked:toPlain:)`` moves blocks by transposes (for tests).
    var usesTransposes: Bool { transposable != nil }

    /// The offset of element `index` (four indices) in the blocked array.
    public func offset(_ index: [Int]) -> Int {
        terms[index[0]] + terms[dimensions[0] + index[1]] + terms[dimensions[0] + dimensions[1] + index[2] * dimensions[3] + index[3]]
    }

    /// Moves every element between the row-major `plain` array and the blocked one, into the
    /// blocked one (padding set to zero first) or, with `toPlain`, out of it.
    ///
    /// When the innermost block runs along dimension 0 or 1 and the last two dimensions are
    /// evenly spaced in the blocked array (oneDNN's weight layouts), the block's indices are
    /// adjacent there and the last two dimensions adjacent in the plain array: each block of
    /// `plain[a][b][j]` is then a matrix transposed (``ChannelBlocking``'s 4×4 SIMD tiles).
    /// The transposes walk the destination's rows outside: a block's rows are kilobytes apart
    /// on both sides and share cache sets, and walking the source's rows outside ran `Ohwi32o`
    /// 3.5× slower. Otherwise element by element, a tile of `tile.0 × tile.1` indices of the
    /// first two dimensions at a time, so that the scattered side stays in the cache. Both split
    /// the first dimension across the workers. 256×128×4×4 weights at two threads, best of 50
    /// calls: into `OIhw16i16o`, `OIhw16o16i` and `Ohwi32o` 0.05–0.09 ms, out of `OIhw16i16o`
    /// 0.13 ms, where oneDNN's reorder took 0.10–0.14 ms on one thread (element by element:
    /// 0.11–0.70 ms); medians in `gan-bench memory` 0.08–0.26 ms.
    fileprivate func convert(plain: UnsafeMutablePointer<Float>, blocked: UnsafeMutablePointer<Float>, toPlain: Bool) {
        if !toPlain && isPadded { blocked.update(repeating: 0, count: floats) }
        let (d0, d1) = (dimensions[0], dimensions[1]), inner = dimensions[2] * dimensions[3]
        guard d0 * d1 * inner > 0 else { return }
        terms.withUnsafeBufferPointer { terms in
            let first = terms.baseAddress!, second = first + d0, last = second + d1
            if let (dimension, size, spacing) = transposable {
                // A block of `rows` indices along `dimension` from (a, b): a [rows × inner]
                // matrix in the plain array (rows `plainStride` apart), [inner × rows] in the
                // blocked array (rows `spacing` apart).
                let plainStride = dimension == 0 ? d1 * inner : inner
                @inline(__always) func transposeBlock(_ a: Int, _ b: Int, rows: Int) {
                    let p = plain + (a * d1 + b) * inner, q = blocked + first[a] + second[b]
                    if toPlain {
                        ChannelBlocking.transpose(q, rows: inner, columns: rows, rowStride: spacing, sourceRowsOutside: false,
                                                  into: p, rowStride: plainStride)
                    } else {
                        ChannelBlocking.transpose(p, rows: rows, columns: inner, rowStride: plainStride, sourceRowsOutside: false,
                                                  into: q, rowStride: spacing)
                    }
                }
                // Units of work: blocks of rows of dimension 0, or its single rows.
                let units = dimension == 0 ? (d0 + size - 1) / size : d0
                Parallel.forRanges(units, costPerElement: d0 / units * d1 * inner) { range in
                    for unit in range {
                        if dimension == 0 {
                            for b in 0..<d1 { transposeBlock(unit * size, b, rows: min(size, d0 - unit * size)) }
                        } else {
                            for b in stride(from: 0, to: d1, by: size) { transposeBlock(unit, b, rows: min(size, d1 - b)) }
                        }
                    }
                }
                return
            }
            Parallel.forRanges((d0 + tile.0 - 1) / tile.0, costPerElement: tile.0 * d1 * inner) { tileRows in
                for tileRow in tileRows {
                    let rows = tileRow * tile.0..<min(d0, (tileRow + 1) * tile.0)
                    for b0 in stride(from: 0, to: d1, by: tile.1) {
                        for a in rows {
                            for b in b0..<min(d1, b0 + tile.1) {
                                // plain[a][b][·] starts at `row`; the blocked offsets are `base + last[j]`.
                                let row = (a * d1 + b) * inner, base = first[a] + second[b]
                                if toPlain {
                                    for j in 0..<inner { plain[row + j] = blocked[base + last[j]] }
                                } else {
                                    for j in 0..<inner { blocked[base + last[j]] = plain[row + j] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension ChannelBlocking {
    /// `plain` (row-major, `layout.dimensions`) → `blocked` in `layout` (`layout.floats`
    /// floats, padding zeroed).
    public static func toBlocked(_ plain: UnsafePointer<Float>, _ blocked: UnsafeMutablePointer<Float>, layout: BlockedLayout) {
        layout.convert(plain: UnsafeMutablePointer(mutating: plain), blocked: blocked, toPlain: false)
    }

    /// `blocked` in `layout` → `plain` (row-major, `layout.dimensions`); padding is skipped.
    public static func toPlain(_ blocked: UnsafePointer<Float>, _ plain: UnsafeMutablePointer<Float>, layout: BlockedLayout) {
        layout.convert(plain: plain, blocked: UnsafeMutablePointer(mutating: blocked), toPlain: true)
    }
}
