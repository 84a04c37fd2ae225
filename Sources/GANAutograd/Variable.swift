@_exported import GANTensor

/// A tensor in the autodiff graph: its value, and how it was computed when a gradient may be needed.
///
/// Leaves are created by the user (parameters pass `requiresGradient: true`); every differentiable
/// op on variables records a ``Node`` holding its inputs and one pullback. Nothing is recorded
/// when no input requires a gradient or inside ``withoutGradients(_:)``, so inference and data
/// preparation cost no graph. Identity matters: gradients are keyed by the `Variable` object.
///
/// ```swift
/// let w = Variable(Tensor(shape: [3], values: [1, 2, 3]), requiresGradient: true)
/// let loss = (w * w).sum()
/// let g = gradients(of: loss, wrt: [w])     // [2, 4, 6]
/// ```
public final class Variable {
    /// The current value. Optimizers assign it in place for parameters.
    public var value: Tensor
    /// True for parameters and for every variable computed from one while gradients are recorded.
    public let requiresGradient: Bool
    /// How this variable was computed; nil for leaves and constants.
    let node: Node?

    /// A leaf (a parameter when `requiresGradient`, a constant otherwise).
    public init(_ value: Tensor, requiresGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
        self.node = nil
    }

    init(value: Tensor, node: Node) {
        self.value = value
        self.requiresGradient = true
        self.node = node
    }

    public var shape: [Int] { value.shape }
    public var rank: Int { value.rank }
    /// The op that produced this variable ("leaf" for leaves and constants).
    public var opName: String { node?.op ?? "leaf" }

    /// The same value cut off from the graph: no gradient flows back through it.
    public func detached() -> Variable { Variable(value) }

    /// Records the result of an op. `pullback(cotangent, needed)` returns the cotangent for each
    /// input (nil where `needed[i]` is false); it is written with differentiable ops so that
    /// gradients of gradients work.
    public static func record(
        _ op: String, _ value: Tensor, inputs: [Variable],
        pullback: @escaping (_ cotangent: Variable, _ needed: [Bool]) -> [Variable?]
    ) -> Variable {
        guard GradientMode.isEnabled, inputs.contains(where: { $0.requiresGradient }) else {
            return Variable(value)
        }
        return Variable(value: value, node: Node(op: op, inputs: inputs, pullback: pullback))
    }
}

extension Variable: CustomStringConvertible {
    public var description: String { "Variable(\(opName), \(value))" }
}

/// One recorded op: its inputs and the function from the output's cotangent to theirs.
final class Node {
    let op: String
    let inputs: [Variable]
    let pullback: (Variable, [Bool]) -> [Variable?]

    init(op: String, inputs: [Variable], pullback: @escaping (Variable, [Bool]) -> [Variable?]) {
        self.op = op
        self.inputs = inputs
        self.pullback = pullback
    }
}

/// Whether ops record the graph. Scoped per task (and so per thread of synchronous code).
public enum GradientMode {
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording any graph: results are constants.
@inlinable
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$isEnabled.withValue(false, operation: body)
}
