import GANTensor

/// Improved precision and recall (Kynkäänniemi et al. 2019, "Improved Precision and Recall
/// Metric for Assessing Generative Models").
///
/// Each set's manifold is the union of balls around its points, the ball of φ having radius
/// `r_k(φ)` = distance from φ to its k-th nearest neighbour in its own set, itself excluded. Then
///
///     f(φ, Φ)   = 1 if ∃ φ' ∈ Φ : ‖φ − φ'‖₂ ≤ r_k(φ'), else 0      (note: ≤, as the original code)
///     precision = mean over fake φ_g of f(φ_g, Φ_real)
///     recall    = mean over real φ_r of f(φ_r, Φ_fake)
///
/// The default is k = 3. The original code compares squared distances, as here; every
/// comparison is exact in Double (see the blocked distance engine), so points exactly on a
/// ball's boundary are inside.
public enum PrecisionRecall {
    /// - Parameters:
    ///   - real: `[N, D]` real features (N > k).
    ///   - fake: `[M, D]` generated features (M > k).
    ///   - k: neighbourhood size for the radii (default 3).
    /// - Returns: `(precision, recall)`, each in [0, 1].
    public static func compute(real: Tensor, fake: Tensor, k: Int = 3) -> (precision: Double, recall: Double) {
        let op = "PrecisionRecall.compute"
        _ = finiteSampleMatrixShape(real, "real", op)
        _ = finiteSampleMatrixShape(fake, "fake", op)
        let realRadii = squaredKthNeighbourDistances(real, k: k, op: op, name: "real")
        let fakeRadii = squaredKthNeighbourDistances(fake, k: k, op: op, name: "fake")
        let precision = fractionInsideAnyBall(queries: fake, centres: real, squaredRadii: realRadii, inclusive: true, op: op)
        let recall = fractionInsideAnyBall(queries: real, centres: fake, squaredRadii: fakeRadii, inclusive: true, op: op)
        return (precision, recall)
    }

    /// Fraction of query rows that lie inside at least one ball `‖q − cⱼ‖² ≤ ρⱼ` (or `<`).
    static func fractionInsideAnyBall(queries: Tensor, centres: Tensor, squaredRadii: [Double], inclusive: Bool, op: String) -> Double {
        let counts = ballCounts(queries: queries, centres: centres, squaredRadii: squaredRadii, inclusive: inclusive, op: op)
        if counts.isEmpty { return 0 }
        return Double(counts.filter { $0 > 0 }.count) / Double(counts.count)
    }
}

/// For each query row, how many of the balls (centre row j, squared radius `squaredRadii[j]`)
/// contain it.
func ballCounts(queries: Tensor, centres: Tensor, squaredRadii: [Double], inclusive: Bool, op: String) -> [Int] {
    let engine = PairwiseDistances(queries: queries, reference: centres, op: op)
    require(squaredRadii.count == engine.referenceCount, "\(op): \(squaredRadii.count) radii for \(engine.referenceCount) centres")
    var counts = [Int](repeating: 0, count: engine.queryCount)
    counts.withUnsafeMutableBufferPointer { out in
        engine.forEachQueryRow { i, dots in
            // Query i against every centre's ball.
            out[i] = engine.countWithinRadii(i, dots: dots, radiiSquared: squaredRadii, inclusive: inclusive)
        }
    }
    return counts
}

/// Density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for
/// Generative Models"), as `clovaai/generative-evaluation-prdc`.
///
/// With real set X (N points), fake set Y (M points) and `NND_k(Xᵢ)` the distance from Xᵢ to its
/// k-th nearest real neighbour excluding itself:
///
///     density  = 1/(k·M) · Σⱼ Σᵢ 1[ ‖Yⱼ − Xᵢ‖ < NND_k(Xᵢ) ]
///     coverage = 1/N · Σᵢ 1[ ∃ j : ‖Yⱼ − Xᵢ‖ < NND_k(Xᵢ) ]
///
/// Both comparisons are **strict** (`<`), unlike Kynkäänniemi's precision/recall. Default k = 5.
/// Density can exceed 1; for identical distributions E[density] ≈ 1, E[coverage] ≈ 1 − 2⁻ᵏ.
public enum DensityCoverage {
    /// - Parameters:
    ///   - real: `[N, D]` real features (N > k).
    ///   - fake: `[M, D]` generated features (M ≥ 1).
    ///   - k: neighbourhood size (default 5).
    /// - Returns: `(density, coverage)`.
    public static func compute(real: Tensor, fake: Tensor, k: Int = 5) -> (density: Double, coverage: Double) {
        let op = "DensityCoverage.compute"
        let (n, _) = finiteSampleMatrixShape(real, "real", op)
        let (m, _) = finiteSampleMatrixShape(fake, "fake", op)
        require(m >= 1, "\(op): the fake set is empty")
        let realRadii = squaredKthNeighbourDistances(real, k: k, op: op)
        // Density: for each fake Yⱼ, the number of real balls that hold it.
        let counts = ballCounts(queries: fake, centres: real, squaredRadii: realRadii, inclusive: false, op: op)
        let density = Double(counts.reduce(0, +)) / (Double(k) * Double(m))
        // Coverage: real Xᵢ is covered when its nearest fake is strictly inside its own ball.
        let nearestFake = PairwiseDistances(queries: real, reference: fake, op: op)
        var covered = [Bool](repeating: false, count: n)
        covered.withUnsafeMutableBufferPointer { out in
            nearestFake.forEachQueryRow { i, dots in
                // Real point i: exact squared distance to its nearest fake point.
                let nearest = nearestFake.kNearest(i, dots: dots, k: 1)[0].squaredDistance
                out[i] = nearest < realRadii[i]
            }
        }
        let coverage = Double(covered.filter { $0 }.count) / Double(n)
        return (density, coverage)
    }
}
