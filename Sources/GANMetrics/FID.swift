import GANTensor

/// Fréchet distance between two Gaussians fitted to feature sets: the Fréchet Inception Distance
/// (Heusel et al. 2017) when the features come from Inception-v3 pool3, or its classifier-feature
/// variants on MNIST (state which network and layer produced the features; values from different
/// feature extractors are not comparable).
public enum FrechetDistance {
    /// FID between two sets of statistics of the same dimension D:
    ///
    ///     FID = ‖μa − μb‖² + Tr(Σa) + Tr(Σb) − 2 · Tr((Σa^{1/2} Σb Σa^{1/2})^{1/2})
    ///
    /// which equals the reference `‖μa − μb‖² + Tr(Σa + Σb − 2 sqrtm(Σa Σb))`:
    /// with S = Σa^{1/2} (symmetric PSD), `Σa Σb = S·(S Σb)` and `S Σb S = (S Σb)·S` are products
    /// of the same two matrices in the two orders, so they have the same eigenvalues λᵢ (true for
    /// AB and BA in general, invertible or not). `S Σb S` is symmetric PSD, so the λᵢ are real and
    /// ≥ 0, and the principal square root of `Σa Σb` has eigenvalues √λᵢ; both traces are Σᵢ √λᵢ.
    /// The symmetric form needs only symmetric eigendecompositions (LAPACK `dsyev`), never a
    /// complex `sqrtm`, so the reference's imaginary-part check and 1e-6·I retry are not needed.
    /// Negative eigenvalues from rounding are clamped to 0.
    ///
    /// Everything runs in Double; cost is O(D³) (two `dsyev` and two `dgemm` of D×D).
    public static func compute(_ a: FeatureStatistics, _ b: FeatureStatistics) -> Double {
        let d = a.dimension
        require(b.dimension == d, "FrechetDistance.compute: dimensions differ (\(d) vs \(b.dimension))")
        var meanTerm = 0.0
        for i in 0..<d { let t = a.mean[i] - b.mean[i]; meanTerm += t * t }
        return meanTerm + a.trace + b.trace - 2 * traceOfSquareRootOfProduct(a.covariance, b.covariance, dimension: d)
    }

    /// FID between the Gaussians fitted to two feature matrices `[N, D]` and `[M, D]`
    /// (see ``FeatureStatistics/init(features:)``).
    public static func compute(real: Tensor, fake: Tensor) -> Double {
        _ = finiteSampleMatrixShape(real, "real", "FrechetDistance.compute")
        _ = finiteSampleMatrixShape(fake, "fake", "FrechetDistance.compute")
        return compute(FeatureStatistics(features: real), FeatureStatistics(features: fake))
    }

    /// `Tr((Σa Σb)^{1/2}) = Tr((Σa^{1/2} Σb Σa^{1/2})^{1/2}) = Σᵢ √max(λᵢ, 0)` for symmetric PSD
    /// `D×D` row-major `Σa`, `Σb`, with λᵢ the eigenvalues of `Σa^{1/2} Σb Σa^{1/2}`.
    public static func traceOfSquareRootOfProduct(_ sigmaA: [Double], _ sigmaB: [Double], dimension d: Int) -> Double {
        require(sigmaA.count == d * d && sigmaB.count == d * d, "FrechetDistance: covariances must be \(d)×\(d)")
        if d == 0 { return 0 }
        let root = DenseMatrix.symmetricSquareRoot(sigmaA, n: d)
        var m = DenseMatrix.multiply(DenseMatrix.multiply(root, sigmaB, n: d), root, n: d)
        // Remove the rounding asymmetry of the two products before the symmetric solver.
        for i in 0..<d {
            // Entry (i, j) above the diagonal is paired with (j, i) below it.
            for j in (i + 1)..<d {
                let s = 0.5 * (m[i * d + j] + m[j * d + i])
                m[i * d + j] = s
                m[j * d + i] = s
            }
        }
        let eigenvalues = DenseMatrix.symmetricEigen(m, n: d, vectors: false).values
        return eigenvalues.reduce(0.0) { $0 + max($1, 0).squareRoot() }
    }
}
