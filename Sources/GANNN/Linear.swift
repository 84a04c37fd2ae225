/// Fully connected layer, PyTorch `nn.Linear`: `y = x·Wᵀ + b`.
///
/// - `weight`: `[outFeatures, inFeatures]`, `bias`: `[outFeatures]`, both U(±1/√inFeatures).
/// - Input `[N, inFeatures]` → output `[N, outFeatures]`.
public final class Linear: Module, Layer {
    public let weight: Variable
    public let bias: Variable?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: RandomGenerator) {
        let bound = Initialization.defaultBound(fanIn: inFeatures)
        weight = Variable(Initialization.uniform([outFeatures, inFeatures], bound: bound, rng: rng), requiresGradient: true)
        self.bias = bias ? Variable(Initialization.uniform([outFeatures], bound: bound, rng: rng), requiresGradient: true) : nil
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        require(x.rank == 2 && x.shape[1] == weight.shape[1],
                     "Linear: expected input [N, \(weight.shape[1])], got \(x.shape)")
        return linear(x, weight: weight, bias: bias)
    }
}

/// Maxout layer (Goodfellow et al. 2013): a linear map to `units × pieces` pre-activations and the
/// maximum over each unit's pieces. The pieces of unit `j` are pre-activations `j·pieces ..< (j+1)·pieces`.
///
/// - `weight`: `[units·pieces, inFeatures]`, `bias`: `[units·pieces]` (PyTorch `Linear` layout and init).
/// - Input `[N, inFeatures]` → output `[N, units]`.
public final class Maxout: Module, Layer {
    public let weight: Variable
    public let bias: Variable
    public let units: Int, pieces: Int

    public init(_ inFeatures: Int, units: Int, pieces: Int, rng: RandomGenerator) {
        self.units = units
        self.pieces = pieces
        let bound = Initialization.defaultBound(fanIn: inFeatures)
        weight = Variable(Initialization.uniform([units * pieces, inFeatures], bound: bound, rng: rng), requiresGradient: true)
        bias = Variable(Initialization.uniform([units * pieces], bound: bound, rng: rng), requiresGradient: true)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        linear(x, weight: weight, bias: bias).reshaped([x.shape[0], units, pieces]).maxAlongLastAxis()
    }
}

/// Lookup table, PyTorch `nn.Embedding`: row `i` of `weight [count, dimension]` for each index `i`.
/// Initialised N(0, 1) as PyTorch.
public final class Embedding: Module {
    public let weight: Variable

    public init(count: Int, dimension: Int, rng: RandomGenerator) {
        weight = Variable(rng.normal([count, dimension]), requiresGradient: true)
    }

    /// `[N]` indices → `[N, dimension]`.
    public func callAsFunction(_ indices: [Int]) -> Variable { weight.gatherRows(indices) }
}
