import Foundation
import GANTensor

/// Loads a folder of PNG images as an unlabelled training set.
///
/// Every file whose name ends in `.png` (any case) is read, in file-name order, converted to the
/// requested channels (grey → RGB repeats the grey value; RGB → grey uses the ITU-R BT.601 luma
/// 0.299 R + 0.587 G + 0.114 B), scaled so that its shorter side is `size`, and centre-cropped to
/// `size` × `size`. Scaling is separable, per axis: **area averaging** (each output pixel is the
/// coverage-weighted mean of the input pixels under it) along an axis that shrinks, and
/// **bilinear interpolation** (pixel centres at half-integers, edges clamped) along an axis that
/// grows or keeps its size.
///
/// ```swift
/// let faces = try ImageFolder.load(directory: "faces", channels: 3, size: 64)   // [N, 3, 64, 64]
/// ```
public enum ImageFolder {
    /// Loads the images of `directory`.
    ///
    /// - Parameters:
    ///   - channels: 1 (grey) or 3 (RGB) in the result.
    ///   - size: the side of the square output images.
    /// - Returns: images [N, channels, size, size] in [0, 1], labels all 0, `classCount` 1.
    /// - Throws: ``DataError`` naming the folder when it cannot be listed or holds no `.png`
    ///   file, or naming the file that fails to decode.
    public static func load(directory: String, channels: Int, size: Int) throws -> LabeledImages {
        require(channels == 1 || channels == 3, "ImageFolder.load: 1 or 3 channels expected, got \(channels)")
        require(size > 0, "ImageFolder.load: size must be positive, got \(size)")
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.lowercased().hasSuffix(".png") && !$0.hasPrefix(".") }
                .sorted()
        } catch {
            throw DataError(file: directory, field: "folder", "a readable folder expected: \(error.localizedDescription)")
        }
        guard !names.isEmpty else {
            throw DataError(file: directory, field: "folder", "at least one .png file expected, found none")
        }
        let plane = size * size
        var images = Tensor(uninitializedShape: [names.count, channels, size, size])
        try images.withUnsafeMutableBufferPointer { out in
            // Image i fills out[i·channels·size² ..< (i+1)·channels·size²].
            for (i, name) in names.enumerated() {
                let path = DataFiles.join(directory, name)
                let png = try PNG.read(path)
                let planes = convertChannels(png.pixels, count: png.width * png.height, from: png.channels, to: channels)
                for c in 0..<channels {
                    let resized = resizeAndCrop(planes[c], width: png.width, height: png.height, size: size)
                    let base = (i * channels + c) * plane
                    for k in 0..<plane { out[base + k] = resized[k] }
                }
            }
        }
        return LabeledImages(images: images, labels: [Int](repeating: 0, count: names.count), classCount: 1)
    }

    /// Splits interleaved bytes into `to` float planes with values in [0, 1].
    static func convertChannels(_ pixels: [UInt8], count: Int, from: Int, to: Int) -> [[Float]] {
        if from == to {
            // Plane c takes every from-th byte starting at c.
            return (0..<to).map { c in (0..<count).map { Float(pixels[$0 * from + c]) / 255 } }
        }
        if from == 1 {
            let grey = pixels.map { Float($0) / 255 }
            return [grey, grey, grey]
        }
        // RGB → grey: BT.601 luma of pixel k.
        return [(0..<count).map { k in
            (0.299 * Float(pixels[3 * k]) + 0.587 * Float(pixels[3 * k + 1]) + 0.114 * Float(pixels[3 * k + 2])) / 255
        }]
    }

    /// Scales one plane so its shorter side is `size` and returns the central `size`×`size` square.
    static func resizeAndCrop(_ plane: [Float], width: Int, height: Int, size: Int) -> [Float] {
        // The scaled dimensions: the shorter side becomes `size`, the longer keeps the aspect ratio.
        let scaledWidth: Int, scaledHeight: Int
        if width <= height {
            scaledWidth = size
            scaledHeight = max(size, Int((Double(height) * Double(size) / Double(width)).rounded()))
        } else {
            scaledHeight = size
            scaledWidth = max(size, Int((Double(width) * Double(size) / Double(height)).rounded()))
        }
        let left = (scaledWidth - size) / 2
        let top = (scaledHeight - size) / 2
        let columns = axisWeights(input: width, output: scaledWidth, keep: left..<(left + size))
        let rows = axisWeights(input: height, output: scaledHeight, keep: top..<(top + size))

        // The two passes commute; run first the one whose intermediate is smaller
        // (size × the shorter side), so a very long, thin image cannot blow up memory.
        var out = [Float](repeating: 0, count: size * size)
        if width <= height {
            // Pass 1, vertical: output row y of the crop, every input column x.
            var vertical = [Float](repeating: 0, count: size * width)
            for y in 0..<size {
                for (iy, w) in rows[y] {
                    for x in 0..<width { vertical[y * width + x] += w * plane[iy * width + x] }
                }
            }
            // Pass 2, horizontal: output column x of the crop.
            for y in 0..<size {
                for x in 0..<size {
                    var sum: Float = 0
                    for (ix, w) in columns[x] { sum += w * vertical[y * width + ix] }
                    out[y * size + x] = sum
                }
            }
        } else {
            // Pass 1, horizontal: every input row y, output column x of the crop.
            var horizontal = [Float](repeating: 0, count: height * size)
            for y in 0..<height {
                for x in 0..<size {
                    var sum: Float = 0
                    for (ix, w) in columns[x] { sum += w * plane[y * width + ix] }
                    horizontal[y * size + x] = sum
                }
            }
            // Pass 2, vertical: output row y of the crop.
            for y in 0..<size {
                for (iy, w) in rows[y] {
                    for x in 0..<size { out[y * size + x] += w * horizontal[iy * size + x] }
                }
            }
        }
        return out
    }

    /// For each output index in `keep` (of an axis scaled from `input` to `output` samples), the
    /// input indices and weights (summing to 1) that make it: area averaging when shrinking,
    /// bilinear interpolation otherwise.
    static func axisWeights(input: Int, output: Int, keep: Range<Int>) -> [[(Int, Float)]] {
        let scale = Double(input) / Double(output)  // input samples per output sample
        return keep.map { o in
            if scale > 1 {
                // Output o covers input interval [lo, hi); input sample i covers [i, i + 1).
                let lo = Double(o) * scale, hi = Double(o + 1) * scale
                var weights: [(Int, Float)] = []
                for i in Int(lo.rounded(.down))..<min(input, Int(hi.rounded(.up))) {
                    let overlap = min(hi, Double(i + 1)) - max(lo, Double(i))
                    if overlap > 0 { weights.append((i, Float(overlap / scale))) }
                }
                return weights
            }
            // Centre of output o, in input coordinates where sample i's centre is at i.
            let centre = min(max((Double(o) + 0.5) * scale - 0.5, 0), Double(input - 1))
            let i0 = Int(centre.rounded(.down))
            let i1 = min(i0 + 1, input - 1)
            let t = Float(centre - Double(i0))
            return t == 0 ? [(i0, Float(1))] : [(i0, 1 - t), (i1, t)]
        }
    }
}
