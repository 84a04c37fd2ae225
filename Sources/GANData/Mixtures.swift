import GANTensor

/// Synthetic 2-D Gaussian mixtures, the standard toy targets for studying mode collapse.
///
/// All modes have equal weight and the same isotropic standard deviation.
///
/// * ``ring8``: 8 modes evenly spaced on a circle of radius 2, centres (2 cos 2πk/8, 2 sin 2πk/8)
///   for k = 0…7, std 0.02 (as in Unrolled GAN, Metz et al. 2017, and VEEGAN, Srivastava et al. 2017).
/// * ``grid25``: 25 modes at (i, j) for i, j ∈ {−4, −2, 0, 2, 4}, std 0.05 (the 2-D grid of
///   VEEGAN and PacGAN, Lin et al. 2018).
///
/// ```swift
/// let rng = RandomGenerator(seed: 1)
/// let batch = GaussianMixture2D.ring8.sample(count: 256, rng: rng)   // [256, 2]
/// ```
public struct GaussianMixture2D {
    /// A short name: `ring8` or `grid25`.
    public let name: String
    /// The mode centres (x, y).
    public let modeCenters: [(Float, Float)]
    /// The standard deviation of every mode, in each coordinate.
    public let modeStd: Float

    /// A mixture of equally weighted isotropic Gaussians.
    public init(name: String, modeCenters: [(Float, Float)], modeStd: Float) {
        require(!modeCenters.isEmpty, "GaussianMixture2D: at least one mode expected")
        require(modeStd > 0, "GaussianMixture2D: positive std expected, got \(modeStd)")
        self.name = name
        self.modeCenters = modeCenters
        self.modeStd = modeStd
    }

    /// 8 Gaussians, std 0.02, on a circle of radius 2.
    public static let ring8 = GaussianMixture2D(
        name: "ring8",
        modeCenters: (0..<8).map { k in
            let angle = 2 * Double.pi * Double(k) / 8
            return (Float(2 * cosDouble(angle)), Float(2 * sinDouble(angle)))
        },
        modeStd: 0.02)

    /// 25 Gaussians, std 0.05, on the grid {−4, −2, 0, 2, 4}².
    public static let grid25 = GaussianMixture2D(
        name: "grid25",
        modeCenters: [-4, -2, 0, 2, 4].flatMap { (x: Float) in [-4, -2, 0, 2, 4].map { (y: Float) in (x, y) } },
        modeStd: 0.05)

    /// Draws `count` points: for each, a mode uniformly at random, then its centre plus
    /// N(0, modeStd²) noise per coordinate.
    ///
    /// - Returns: a tensor [count, 2] of (x, y) rows.
    public func sample(count: Int, rng: RandomGenerator) -> Tensor {
        require(count >= 0, "GaussianMixture2D.sample: count must not be negative, got \(count)")
        let modes = (0..<count).map { _ in rng.nextInt(below: modeCenters.count) }
        var points = rng.normal([count, 2], std: modeStd)
        points.withUnsafeMutableBufferPointer { p in
            // Row i is point i: (x, y) = centre of its mode + noise.
            for i in 0..<count {
                p[2 * i] += modeCenters[modes[i]].0
                p[2 * i + 1] += modeCenters[modes[i]].1
            }
        }
        return points
    }

    /// The index of the mode centre nearest to (x, y) and the distance to it.
    public func nearestMode(x: Float, y: Float) -> (index: Int, distance: Float) {
        var best = (index: 0, distance: Float.infinity)
        for (k, c) in modeCenters.enumerated() {
            let d = ((x - c.0) * (x - c.0) + (y - c.1) * (y - c.1)).squareRoot()
            if d < best.distance { best = (k, d) }
        }
        return best
    }

    /// The usual mode-collapse metrics for generated points [N, 2]: a point is *high quality*
    /// when it lies within `standardDeviations` · modeStd of its nearest centre; a mode is
    /// *covered* when it is the nearest centre of at least one high-quality point.
    ///
    /// - Returns: the number of covered modes and the fraction of high-quality points.
    public func evaluate(_ points: Tensor, standardDeviations: Float = 3) -> (modesCovered: Int, highQualityFraction: Float) {
        require(points.rank == 2 && points.shape[1] == 2, "GaussianMixture2D.evaluate: points [N, 2] expected, got \(points.shape)")
        let n = points.shape[0]
        guard n > 0 else { return (0, 0) }
        var covered = Set<Int>()
        var good = 0
        let p = points.pointer
        for i in 0..<n {
            let nearest = nearestMode(x: p[2 * i], y: p[2 * i + 1])
            if nearest.distance <= standardDeviations * modeStd {
                good += 1
                covered.insert(nearest.index)
            }
        }
        return (covered.count, Float(good) / Float(n))
    }
}

#if canImport(Glibc)
import Glibc
private func cosDouble(_ x: Double) -> Double { Glibc.cos(x) }
private func sinDouble(_ x: Double) -> Double { Glibc.sin(x) }
#else
import Darwin
private func cosDouble(_ x: Double) -> Double { Darwin.cos(x) }
private func sinDouble(_ x: Double) -> Double { Darwin.sin(x) }
#endif
