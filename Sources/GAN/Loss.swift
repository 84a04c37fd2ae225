/// GAN objectives, named so they cannot be misread. `r` and `f` are D's logits on real and fake
/// samples; `t_r` is the real target (below 1 with one-sided label smoothing) and `t_f` the fake
/// target (0, or per-sample targets when labels are flipped).
///
/// | name | D minimises | G minimises |
/// |---|---|---|
/// | `minimax` (saturating, Goodfellow 2014 eq. 1) | BCE(r, t_r) + BCE(f, t_f) | −BCE(f, 0) = mean log(1 − σ(f)) |
/// | `nonsaturating` (default) | BCE(r, t_r) + BCE(f, t_f) | BCE(f, 1) = −mean log σ(f) |
/// | `least-squares` (LSGAN a=0, b=c=1) | ½mean((r − 1)²) + ½mean(f²) | ½mean((f − 1)²) |
/// | `hinge` | mean max(0, 1 − r) + mean max(0, 1 + f) | −mean f |
/// | `wasserstein` (with weight clipping) | mean f − mean r | −mean f |
public enum GANLoss: String, Codable, CaseIterable, Sendable {
    case minimax
    case nonsaturating
    case leastSquares = "least-squares"
    case hinge
    case wasserstein

    /// Whether D's output is a probability logit (so D(x) = σ(logit)).
    public var isLogistic: Bool { self == .minimax || self == .nonsaturating }

    /// The value of D's raw output that separates "real" from "fake" for D's accuracy: the midpoint
    /// of the values the loss drives real and fake outputs towards. Logistic losses: logit 0
    /// (σ = ½); least-squares: ½ (targets 1 and 0); hinge: 0 (margins +1 and −1). The Wasserstein
    /// critic has no targets and its scores may shift freely, so its accuracy is the sign of the
    /// score and only indicative (as are the `d-wins` alarm and `--adaptive-l2`, which read it).
    public var decisionThreshold: Float { self == .leastSquares ? 0.5 : 0 }

    /// The fractions of real outputs above ``decisionThreshold`` and of fake outputs below it.
    public func accuracies(real: Tensor, fake: Tensor) -> (real: Float, fake: Float) {
        let t = decisionThreshold
        return (real.withUnsafeBufferPointer { p in p.count(where: { $0 > t }) }.asFraction(of: real.count),
                fake.withUnsafeBufferPointer { p in p.count(where: { $0 < t }) }.asFraction(of: fake.count))
    }

    /// D's loss. `realTargets`/`fakeTargets` apply to the logistic losses only.
    public func discriminatorLoss(real r: Variable, fake f: Variable, realTargets: Tensor, fakeTargets: Tensor) -> Variable {
        switch self {
        case .minimax, .nonsaturating:
            return binaryCrossEntropy(logits: r, targets: realTargets) + binaryCrossEntropy(logits: f, targets: fakeTargets)
        case .leastSquares:
            return 0.5 * meanSquaredError(r, target: 1) + 0.5 * meanSquaredError(f, target: 0)
        case .hinge:
            return hingeLoss(r, sign: 1) + hingeLoss(f, sign: -1)
        case .wasserstein:
            return f.mean() - r.mean()
        }
    }

    /// G's loss on D's logits for generated samples.
    public func generatorLoss(fake f: Variable) -> Variable {
        switch self {
        case .minimax: return -binaryCrossEntropy(logits: f, target: 0)
        case .nonsaturating: return binaryCrossEntropy(logits: f, target: 1)
        case .leastSquares: return 0.5 * meanSquaredError(f, target: 1)
        case .hinge, .wasserstein: return -f.mean()
        }
    }
}

/// How the noise z is drawn.
public enum NoiseDistribution: String, Codable, CaseIterable, Sendable {
    case uniform, normal

    /// `[count] + shape` values: U(low, high) or N(0, 1).
    public func sample(count: Int, shape: [Int], low: Float, high: Float, rng: RandomGenerator) -> Tensor {
        switch self {
        case .uniform: return rng.uniform([count] + shape, low: low, high: high)
        case .normal: return rng.normal([count] + shape)
        }
    }
}
