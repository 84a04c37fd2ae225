/// An activation that is LeakyReLU with some negative slope (ReLU: 0), which ``Sequential`` can
/// fuse into a preceding ``BatchNorm``.
public protocol LeakyReLULike: Layer {
    /// The slope for `x ≤ 0`.
    var negativeSlope: Float { get }
}

/// `max(x, 0)`.
public final class ReLU: Module, LeakyReLULike {
    public override init() {}
    public var negativeSlope: Float { 0 }
    public func callAsFunction(_ x: Variable) -> Variable { x.relu() }
}

/// `x` for x > 0, `negativeSlope·x` otherwise (PyTorch default slope 0.01; DCGAN uses 0.2).
public final class LeakyReLU: Module, LeakyReLULike {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope }
    public func callAsFunction(_ x: Variable) -> Variable { x.leakyRelu(slope: negativeSlope) }
}

/// Hyperbolic tangent.
public final class Tanh: Module, Layer {
    public override init() {}
    public func callAsFunction(_ x: Variable) -> Variable { x.tanh() }
}

/// Logistic sigmoid.
public final class Sigmoid: Module, Layer {
    public override init() {}
    public func callAsFunction(_ x: Variable) -> Variable { x.sigmoid() }
}

/// Inverted dropout, PyTorch `nn.Dropout`: in training, each element is zeroed with probability `p`
/// and survivors are scaled by `1/(1 − p)`; in evaluation it is the identity.
/// Masks come from `rng`, one draw per element (so per example).
public final class Dropout: Module, Layer {
    public let probability: Float
    let rng: RandomGenerator

    public init(probability p: Float, rng: RandomGenerator) {
        require(p >= 0 && p < 1, "Dropout: probability \(p) must be in [0, 1)")
        probability = p
        self.rng = rng
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        guard isTraining && probability > 0 else { return x }
        let keep = 1 - probability
        let mask = rng.bernoulli(x.shape, probability: keep).map { $0 / keep }
        return x * Variable(mask)
    }
}
