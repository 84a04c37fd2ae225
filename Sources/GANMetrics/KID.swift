#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import GANTensor

/// Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs"): the unbiased
/// squared MMD with a cubic polynomial kernel, averaged over random subsets.
///
///     k(x, y) = (xᵀy / D + 1)³                       (degree 3, gamma = 1/D, coef0 = 1)
///     MMD²_u  = Σ_{i≠j} k(xᵢ,xⱼ) / (m(m−1)) + Σ_{i≠j} k(yᵢ,yⱼ) / (m(m−1)) − 2 Σ_{i,j} k(xᵢ,yⱼ) / m²
///
/// As `mbinkowski/MMD-GAN:compute_scores.py` and StyleGAN2-ADA's `kernel_inception_distance.py`:
/// m = min(N_real, N_fake, subsetSize); each subset draws m fake and m real rows without
/// replacement (a fresh draw per subset, rows may recur across subsets). Defaults 100 × 1000.
/// KID is often reported × 10³. It is unbiased, so it can be slightly negative.
public enum KernelInceptionDistance {
    /// Mean and population standard deviation (numpy `std`, ddof = 0) of the per-subset MMD²_u.
    ///
    /// - Parameters:
    ///   - real: `[N, D]` real features.
    ///   - fake: `[M, D]` generated features.
    ///   - subsets: number of random subsets (default 100).
    ///   - subsetSize: requested subset size (default 1000); the size used is min(N, M, subsetSize) ≥ 2.
    ///   - rng: draws the subsets: per subset, first the fake rows, then the real rows.
    public static func compute(
        real: Tensor, fake: Tensor, subsets: Int = 100, subsetSize: Int = 1000, rng: RandomGenerator
    ) -> (mean: Double, std: Double) {
        let values = subsetEstimates(real: real, fake: fake, subsets: subsets, subsetSize: subsetSize, rng: rng)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }

    /// The MMD²_u of each of the `subsets` random subsets (see ``compute(real:fake:subsets:subsetSize:rng:)``).
    public static func subsetEstimates(
        real: Tensor, fake: Tensor, subsets: Int = 100, subsetSize: Int = 1000, rng: RandomGenerator
    ) -> [Double] {
        let op = "KernelInceptionDistance"
        let (nReal, d) = finiteSampleMatrixShape(real, "real", op)
        let (nFake, dFake) = finiteSampleMatrixShape(fake, "fake", op)
        require(d == dFake, "\(op): real features have \(d) dimensions, fake ones \(dFake)")
        require(subsets >= 1, "\(op): needs at least one subset, got \(subsets)")
        let m = min(nReal, nFake, subsetSize)
        require(m >= 2, "\(op): subsets need at least 2 rows each, got min(\(nReal), \(nFake), \(subsetSize)) = \(m)")
        var values = [Double]()
        values.reserveCapacity(subsets)
        for _ in 0..<subsets {
            let x = gatherRows(fake, sampleWithoutReplacement(nFake, m, rng))
            let y = gatherRows(real, sampleWithoutReplacement(nReal, m, rng))
            values.append(unbiasedMMDSquared(x, y))
        }
        return values
    }

    /// The unbiased MMD² with the cubic polynomial kernel between the rows of `x` (`[m, D]`,
    /// m ≥ 2) and `y` (`[n, D]`, n ≥ 2), for any m and n:
    ///
    ///     Σ_{i≠j} k(xᵢ,xⱼ)/(m(m−1)) + Σ_{i≠j} k(yᵢ,yⱼ)/(n(n−1)) − 2 Σ_{i,j} k(xᵢ,yⱼ)/(mn)
    ///
    /// Inner products come from Float BLAS (`ssyrk` for the within-set Gram matrices, whose
    /// symmetric halves are summed once and doubled; `sgemm` for the cross term); kernel values and
    /// all sums are in Double.
    public static func unbiasedMMDSquared(_ x: Tensor, _ y: Tensor) -> Double {
        let op = "KernelInceptionDistance.unbiasedMMDSquared"
        let (m, d) = sampleMatrixShape(x, "x", op)
        let (n, dy) = sampleMatrixShape(y, "y", op)
        require(d == dy, "\(op): feature dimensions differ (\(d) vs \(dy))")
        require(m >= 2 && n >= 2, "\(op): each set needs at least 2 rows, got \(m) and \(n)")
        let xx = 2 * offDiagonalUpperKernelSum(x)
        let yy = 2 * offDiagonalUpperKernelSum(y)
        let xy = crossKernelSum(x, y)
        return xx / Double(m * (m - 1)) + yy / Double(n * (n - 1)) - 2 * xy / (Double(m) * Double(n))
    }

    /// Σ_{i<j} k(xᵢ, xⱼ) over the rows of `x` `[m, D]`, k(x, y) = (g/D + 1)³ with g = xᵀy.
    static func offDiagonalUpperKernelSum(_ x: Tensor) -> Double {
        let m = x.shape[0], d = x.shape[1], inverseD = 1 / Double(d)
        var gram = [Float](repeating: 0, count: m * m)
        var rowSums = [Double](repeating: 0, count: m)
        gram.withUnsafeMutableBufferPointer { g in
            if d > 0 {
                // Upper triangle of X Xᵀ: g[i·m + j] = xᵢ·xⱼ for j ≥ i.
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(m), Int32(d), 1, x.pointer, Int32(d), 0,
                            g.baseAddress!, Int32(m))
            }
            let gp = UnsafePointer(g.baseAddress!)
            rowSums.withUnsafeMutableBufferPointer { sums in
                Parallel.forRanges(m, costPerElement: m / 2 + 1) { range in
                    for i in range {
                        // Row i of the strict upper triangle: pairs (i, j) with j > i.
                        var s = 0.0
                        let row = gp + i * m
                        for j in (i + 1)..<m { let h = Double(row[j]) * inverseD + 1; s += h * h * h }
                        sums[i] = s
                    }
                }
            }
        }
        return rowSums.reduce(0, +)
    }

    /// Σ_{i,j} k(xᵢ, yⱼ) over the rows of `x` `[m, D]` and `y` `[n, D]`.
    static func crossKernelSum(_ x: Tensor, _ y: Tensor) -> Double {
        let m = x.shape[0], n = y.shape[0], d = x.shape[1], inverseD = 1 / Double(d)
        var gram = [Float](repeating: 0, count: m * n)
        var rowSums = [Double](repeating: 0, count: m)
        gram.withUnsafeMutableBufferPointer { g in
            // g[i·n + j] = xᵢ·yⱼ.
            BLAS.gemm(transposeA: false, transposeB: true, m: m, n: n, k: d,
                      a: x.pointer, lda: d, b: y.pointer, ldb: d, c: g.baseAddress!, ldc: n)
            let gp = UnsafePointer(g.baseAddress!)
            rowSums.withUnsafeMutableBufferPointer { sums in
                Parallel.forRanges(m, costPerElement: n) { range in
                    for i in range {
                        // Row i: x_i against every y_j.
                        var s = 0.0
                        let row = gp + i * n
                        for j in 0..<n { let h = Double(row[j]) * inverseD + 1; s += h * h * h }
                        sums[i] = s
                    }
                }
            }
        }
        return rowSums.reduce(0, +)
    }
}

/// `count` distinct indices from `0..<n`, uniformly at random (partial Fisher–Yates), in draw order.
func sampleWithoutReplacement(_ n: Int, _ count: Int, _ rng: RandomGenerator) -> [Int] {
    require(count <= n, "sampleWithoutReplacement: cannot draw \(count) of \(n) without replacement")
    var pool = Array(0..<n)
    for i in 0..<count {
        // Position i receives a uniform pick from the not-yet-drawn positions i..<n.
        pool.swapAt(i, i + rng.nextInt(below: n - i))
    }
    return Array(pool[0..<count])
}

/// The rows `indices` of `t` (`[N, D]`) as a new `[indices.count, D]` tensor.
func gatherRows(_ t: Tensor, _ indices: [Int]) -> Tensor {
    let d = t.shape[1]
    var out = Tensor(uninitializedShape: [indices.count, d])
    out.withUnsafeMutableBufferPointer { dst in
        let src = t.pointer
        for (a, i) in indices.enumerated() {
            // Output row a copies source row i.
            for j in 0..<d { dst[a * d + j] = src[i * d + j] }
        }
    }
    return out
}
