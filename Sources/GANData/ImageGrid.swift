import GANTensor

/// Tiles a batch of images into one picture, as sample sheets of a GAN are shown.
///
/// Images [N, C, H, W] (C = 1 or 3, values meant to lie in [0, 1]) are placed left to right, top
/// to bottom, `columns` per row (fewer when N is smaller), with `padding` black pixels between
/// tiles and around the border. Values are clamped to [0, 1] (NaN becomes 0) and mapped to bytes
/// by rounding v · 255 to the nearest integer. The result has
///
///     width  = columns · (W + padding) + padding
///     height = rows · (H + padding) + padding,   rows = ⌈N / columns⌉
///
/// and interleaved [height][width][C] pixels, ready for ``PNG/encode(pixels:width:height:channels:)``.
public enum ImageGrid {
    /// Builds the grid picture. Empty grid cells (when N is not a multiple of `columns`) stay black.
    public static func make(images: Tensor, columns: Int, padding: Int = 2) -> (pixels: [UInt8], width: Int, height: Int, channels: Int) {
        require(images.rank == 4, "ImageGrid.make: images [N, C, H, W] expected, got shape \(images.shape)")
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        require(c == 1 || c == 3, "ImageGrid.make: 1 or 3 channels expected, got \(c)")
        require(n > 0 && h > 0 && w > 0, "ImageGrid.make: a non-empty batch expected, got shape \(images.shape)")
        require(columns > 0, "ImageGrid.make: columns must be positive, got \(columns)")
        require(padding >= 0, "ImageGrid.make: padding must not be negative, got \(padding)")
        let cols = min(columns, n)
        let rows = (n + cols - 1) / cols
        let width = cols * (w + padding) + padding
        let height = rows * (h + padding) + padding
        var pixels = [UInt8](repeating: 0, count: width * height * c)
        let src = images.pointer
        pixels.withUnsafeMutableBufferPointer { dst in
            // Image i sits in grid row i / cols, column i % cols; (top, left) is its first pixel.
            for i in 0..<n {
                let top = padding + (i / cols) * (h + padding)
                let left = padding + (i % cols) * (w + padding)
                for ch in 0..<c {
                    let plane = src + (i * c + ch) * h * w
                    for y in 0..<h {
                        for x in 0..<w {
                            dst[((top + y) * width + left + x) * c + ch] = toByte(plane[y * w + x])
                        }
                    }
                }
            }
        }
        return (pixels, width, height, c)
    }

    /// Builds the grid and writes it as a PNG file.
    public static func writePNG(images: Tensor, columns: Int, padding: Int = 2, path: String) throws {
        let grid = make(images: images, columns: columns, padding: padding)
        try PNG.write(pixels: grid.pixels, width: grid.width, height: grid.height, channels: grid.channels, to: path)
    }

    /// Clamps to [0, 1] (NaN → 0) and rounds v · 255 to the nearest byte.
    @inline(__always)
    static func toByte(_ v: Float) -> UInt8 {
        let clamped = v.isNaN ? 0 : min(max(v, 0), 1)
        return UInt8((clamped * 255).rounded())
    }
}
