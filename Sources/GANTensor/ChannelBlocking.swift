/// Conversions between NCHW and the channel-blocked layout oneDNN's direct convolution kernels
/// use for activations, `nChw{b}c` (oneDNN's `aBcd16b` / `aBcd8b`): channels in groups of `b`,
/// each group stored pixel by pixel with its `b` channels adjacent.
///
///     blocked[n][g][y][x][j] = plain[n][g·b + j][y][x]     (g < C / b, j < b)
///
/// SwiftGAN converts these itself rather than through oneDNN reorder primitives: each oneDNN
/// execution allocates on the heap, and two of every part's three executions were reorders.
/// Blocks of 16 (AVX-512 kernels) and 8 (AVX2) only, and channel counts that are multiples of
/// the block (no padding channels).
public enum ChannelBlocking {
    /// `plain` [images, channels, pixels] → `blocked` [images, channels / block, pixels, block].
    public static func toBlocked(
        _ plain: UnsafePointer<Float>, _ blocked: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, pixels: Int, block: Int
    ) {
        checkBlock(block, channels: channels)
        // The block as a constant, so the inlined inner loop has a fixed length.
        if block == 16 {
            gatherRows(plain, blocked, images: images, channels: channels, pixels: pixels, block: 16)
        } else {
            gatherRows(plain, blocked, images: images, channels: channels, pixels: pixels, block: 8)
        }
    }

    /// `blocked` [images, channels / block, pixels, block] → `plain` [images, channels, pixels].
    public static func toPlain(
        _ blocked: UnsafePointer<Float>, _ plain: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, pixels: Int, block: Int
    ) {
        checkBlock(block, channels: channels)
        if block == 16 {
            toPlain(blocked, plain, images: images, channels: channels, pixels: pixels, SIMD16<Float>.self)
        } else {
            toPlain(blocked, plain, images: images, channels: channels, pixels: pixels, SIMD8<Float>.self)
        }
    }

    private static func checkBlock(_ block: Int, channels: Int) {
        precondition((block == 16 || block == 8) && channels % block == 0,
                     "ChannelBlocking: \(channels) channels in blocks of \(block); blocks of 16 or 8 dividing the channels")
    }

    /// Pixel by pixel: its `block` channels gathered from the planes into one contiguous row of
    /// the tile (with a constant `block`, a fixed-size inner loop the compiler vectorises; 2.2×
    /// faster here than walking plane by plane with strided stores).
    @inline(__always)
    private static func gatherRows(
        _ plain: UnsafePointer<Float>, _ blocked: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, pixels: Int, block: Int
    ) {
        forEachGroup(images: images, channels: channels, pixels: pixels, block: block) { planes, tile in
            let source = plain + planes, row = blocked + tile
            for q in 0..<pixels {
                for j in 0..<block { row[q * block + j] = source[j * pixels + q] }
            }
        }
    }

    /// Per channel, `block` pixels at a time: gathered from the tile's column, stored as one
    /// contiguous vector of the plane; the last `pixels % block` one by one (2.8× faster here
    /// than strided loads into scalar stores).
    @inline(__always)
    private static func toPlain<V: SIMD>(
        _ blocked: UnsafePointer<Float>, _ plain: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, pixels: Int, _: V.Type
    ) where V.Scalar == Float {
        let block = V.scalarCount
        forEachGroup(images: images, channels: channels, pixels: pixels, block: block) { planes, tile in
            for j in 0..<block {
                let plane = plain + planes + j * pixels, column = blocked + tile + j
                var q = 0
                while q + block <= pixels {
                    var v = V()
                    for k in 0..<block { v[k] = column[(q + k) * block] }
                    UnsafeMutableRawPointer(plane + q).storeBytes(of: v, as: V.self)
                    q += block
                }
                while q < pixels { plane[q] = column[q * block]; q += 1 }
            }
        }
    }

    /// Calls `body(planes, tile)` for every group of `block` channels of every image: `planes`
    /// is the offset of the group's first plane in the plain array, `tile` that of its
    /// `[pixels, block]` tile in the blocked one.
    @inline(__always)
    private static func forEachGroup(
        images: Int, channels: Int, pixels: Int, block: Int, _ body: (_ planes: Int, _ tile: Int) -> Void
    ) {
        let groups = channels / block
        for n in 0..<images {
            for g in 0..<groups { body((n * channels + g * block) * pixels, (n * groups + g) * pixels * block) }
        }
    }
}
