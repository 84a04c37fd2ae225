/// A scatter plot of 2-D samples over a mixture's modes (grey rings at 3σ), as a PNG: what a person
/// looks at to see mode collapse on ring8 or grid25.
public enum ScatterPlot {
    public static func render(points: Tensor, reference: GaussianMixture2D, size: Int = 400) -> [UInt8] {
        var pixels = [UInt8](repeating: 255, count: size * size * 3)
        let extent = reference.modeCenters.map { max(abs($0.0), abs($0.1)) }.max()! * 1.25 + 0.1
        func toPixel(_ x: Float, _ y: Float) -> (Int, Int) {
            (Int((x / extent + 1) * 0.5 * Float(size - 1)), Int((1 - (y / extent + 1) * 0.5) * Float(size - 1)))
        }
        func put(_ px: Int, _ py: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard px >= 0, py >= 0, px < size, py < size else { return }
            let o = (py * size + px) * 3
            pixels[o] = c.0; pixels[o + 1] = c.1; pixels[o + 2] = c.2
        }
        // Mode rings at 3 standard deviations (at least 3 pixels across).
        let ringRadius = max(3 * reference.modeStd / extent * 0.5 * Float(size - 1), 3)
        for (cx, cy) in reference.modeCenters {
            let (px, py) = toPixel(cx, cy)
            for k in 0..<64 {
                let a = Float(k) / 64 * 2 * Float.pi
                put(px + Int(ringRadius * cosf(a)), py + Int(ringRadius * sinf(a)), (150, 150, 150))
            }
        }
        let p = points.pointer
        for i in 0..<points.shape[0] {
            let (px, py) = toPixel(p[2 * i], p[2 * i + 1])
            for dx in 0...1 { for dy in 0...1 { put(px + dx, py + dy, (200, 30, 30)) } }
        }
        return pixels
    }

    public static func writePNG(points: Tensor, reference: GaussianMixture2D, path: String, size: Int = 400) throws {
        try PNG.write(pixels: render(points: points, reference: reference, size: size), width: size, height: size, channels: 3, to: path)
    }
}

import Foundation
