/// Conversions between NCHW and the channel-blocked layout oneDNN's direct convolution kernels
/// use for activations, `nChw{b}c` (oneDNN's `aBcd16b` / `aBcd8b`): channels in groups of `b`,
/// each group stored pixel by pixel with its `b` channels adjacent.
///
///     blocked[n][g][y][x][j] = plain[n][g·b + j][y][x]     (g < C / b, j < b)
///
/// SwiftGAN converts these itself rather than through oneDNN reorder primitives: each oneDNN
/// execution allocates on the heap, and two of every part's three executions were reorders.
/// Only channel counts that are multiples of `b` are handled (no padding channels).
public enum ChannelBlocking {
    /// `plain` [images, channels, pixels] → `blocked` [images, channels / block, pixels, block].
    public static func toBlocked(
        _ plain: UnsafePointer<Float>, _ blocked: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, pixels: Int, block: Int
    ) {
        precondition(block > 0 && channels % block == 0, "ChannelBlocking: \(channels) channels in blocks of \(block)")
        let groups = channels / block
        for n in 0..<images {
            for g in 0..<groups {
                // The group's `block` input planes, one after another; its output tile [pixels, block].
                let planes = plain + (n * channels + g * block) * pixels
                let tile = blocked + (n * groups + g) * pixels * block
                for j in 0..<block {
                    let plane = planes + j * pixels
                    for p in 0..<pixels { tile[p * block + j] = plane[p] }
                }
            }
        }
    }

    /// `blocked` [images, channels / block, pixels, block] → `plain` [images, channels, pixels].
    public static func toPlain(
        _ blocked: UnsafePointer<Float>, _ plain: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, pixels: Int, block: Int
    ) {
        precondition(block > 0 && channels % block == 0, "ChannelBlocking: \(channels) channels in blocks of \(block)")
        let groups = channels / block
        for n in 0..<images {
            for g in 0..<groups {
                let planes = plain + (n * channels + g * block) * pixels
                let tile = blocked + (n * groups + g) * pixels * block
                for j in 0..<block {
                    let plane = planes + j * pixels
                    for p in 0..<pixels { plane[p] = tile[p * block + j] }
                }
            }
        }
    }
}
