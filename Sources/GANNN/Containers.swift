/// Layers applied in order, PyTorch `nn.Sequential`: children are named `0`, `1`, … .
///
/// A ``BatchNorm`` followed by a ``ReLU`` or a ``LeakyReLU`` with a slope ≥ 0 runs as one op
/// (``BatchNorm/callAsFunction(_:activationSlope:)``): the same values, one tensor and two passes
/// over it fewer. The two stay separate layers, with their own names and parameters.
public final class Sequential: Module, Layer {
    public let layers: [any Layer]

    /// Whether batch norm and a following (Leaky)ReLU run as one op (default true; tests and
    /// benchmarks compare with false).
    nonisolated(unsafe) public static var fusesBatchNormActivation = true

    public init(_ layers: [any Layer]) { self.layers = layers }
    public convenience init(@SequentialBuilder _ build: () -> [any Layer]) { self.init(build()) }

    public override var children: [(name: String, module: Module)] {
        layers.enumerated().map { ("\($0.offset)", $0.element as Module) }
    }

    /// Runs the layers in order. Batch norm and a (Leaky)ReLU after it run as one op (see
    /// ``fusesBatchNormActivation``); in inference (evaluation mode, no graph recorded) batch norm
    /// writes over the previous layer's output when nothing else holds it, so sampling needs one
    /// activation-sized buffer fewer at each batch norm.
    public func callAsFunction(_ x: Variable) -> Variable {
        var y = x, i = 0
        while i < layers.count {
            guard let norm = layers[i] as? BatchNorm else {
                y = layers[i](y)
                i += 1
                continue
            }
            var slope: Float?
            if Sequential.fusesBatchNormActivation, i + 1 < layers.count,
               let activation = layers[i + 1] as? any LeakyReLULike, activation.negativeSlope >= 0 {
                slope = activation.negativeSlope
            }
            // `y` is unique only when it is a layer's output that no one else kept (never `x`,
            // which the caller holds); a value shared with another tensor is copied first.
            if !norm.isTraining, !GradientMode.isEnabled, isKnownUniquelyReferenced(&y) {
                norm.applyInPlace(to: y, activationSlope: slope)
            } else {
                y = norm(y, activationSlope: slope)
            }
            i += slope == nil ? 1 : 2
        }
        return y
    }
}

@resultBuilder
public enum SequentialBuilder {
    public static func buildBlock(_ layers: (any Layer)...) -> [any Layer] { layers }
}

/// `[N, ...] → [N, product(...)]`.
public final class Flatten: Module, Layer {
    public override init() {}
    public func callAsFunction(_ x: Variable) -> Variable { x.flattened() }
}

/// `[N, ...] → [N] + shape`.
public final class Reshape: Module, Layer {
    public let shape: [Int]
    public init(_ shape: [Int]) { self.shape = shape }
    public func callAsFunction(_ x: Variable) -> Variable { x.reshaped([x.shape[0]] + shape) }
}

/// Applies each branch to the same input and concatenates the results along `axis`.
public final class Concat: Module, Layer {
    public let branches: [any Layer]
    public let axis: Int

    public init(_ branches: [any Layer], axis: Int = 1) {
        self.branches = branches
        self.axis = axis
    }

    public override var children: [(name: String, module: Module)] {
        branches.enumerated().map { ("\($0.offset)", $0.element as Module) }
    }

    public func callAsFunction(_ x: Variable) -> Variable { concat(branches.map { $0(x) }, axis: axis) }
}
