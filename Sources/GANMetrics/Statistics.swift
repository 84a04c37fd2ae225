import GANTensor

/// Mean and covariance of a set of feature vectors, in Double: the Gaussian that FID compares.
///
/// Matches `mu = np.mean(act, axis=0)` and `sigma = np.cov(act, rowvar=False)` (unbiased, N − 1
/// denominator) of the FID reference code.
public struct FeatureStatistics {
    /// μ, length D.
    public var mean: [Double]
    /// Σ, D×D row-major, symmetric.
    public var covariance: [Double]
    /// N, the number of feature vectors the statistics came from.
    public var count: Int

    /// D, the feature dimension.
    public var dimension: Int { mean.count }

    /// Tr Σ.
    public var trace: Double {
        let d = dimension
        var t = 0.0
        for i in 0..<d { t += covariance[i * d + i] }
        return t
    }

    /// Statistics given directly (e.g. of a known Gaussian). `covariance` must be `D×D` row-major
    /// and symmetric positive semi-definite for FID to be meaningful.
    public init(mean: [Double], covariance: [Double], count: Int) {
        require(covariance.count == mean.count * mean.count,
                      "FeatureStatistics: covariance has \(covariance.count) values, expected \(mean.count)² = \(mean.count * mean.count)")
        self.mean = mean
        self.covariance = covariance
        self.count = count
    }

    /// Statistics of the rows of `features` (`[N, D]`, N ≥ 2):
    ///
    ///     μ = (1/N) Σᵢ xᵢ
    ///     Σ = 1/(N − 1) · Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ
    ///
    /// Two passes in Double: the mean first, then the centred rows, converted to Double in blocks
    /// of at most 1024 rows, accumulate `Σ += X_cᵀ X_c` with `dsyrk` (BLAS Double rank-k update),
    /// so no cancellation from `E[xxᵀ] − μμᵀ` and memory stays at one block plus the D×D result.
    public init(features: Tensor) {
        let (n, d) = finiteSampleMatrixShape(features, "features", "FeatureStatistics")
        require(n >= 2, "FeatureStatistics: the unbiased covariance needs at least 2 samples, got \(n)")
        let x = features.pointer
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n {
            // Row i adds its D features to the column sums.
            for j in 0..<d { mean[j] += Double(x[i * d + j]) }
        }
        for j in 0..<d { mean[j] /= Double(n) }

        var covariance = [Double](repeating: 0, count: d * d)
        let blockRows = max(1, min(1024, (1 << 21) / max(d, 1)))
        var block = [Double](repeating: 0, count: min(blockRows, n) * d)
        var start = 0
        while start < n {
            let rows = min(blockRows, n - start)
            for a in 0..<rows {
                // Block row a is sample start + a, centred; j runs over features.
                for j in 0..<d { block[a * d + j] = Double(x[(start + a) * d + j]) - mean[j] }
            }
            block.withUnsafeBufferPointer { pb in
                covariance.withUnsafeMutableBufferPointer { pc in
                    DenseMatrix.accumulateGramOfColumns(pb.baseAddress!, rows: rows, columns: d, into: pc.baseAddress!)
                }
            }
            start += rows
        }
        DenseMatrix.symmetrizeFromUpper(&covariance, n: d)
        let scale = 1 / Double(n - 1)
        for i in 0..<(d * d) { covariance[i] *= scale }
        self.init(mean: mean, covariance: covariance, count: n)
    }
}
