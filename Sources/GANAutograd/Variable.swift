@_exported import GANTensor

/// A tensor in the autodiff graph: its value, and how it was computed when a gradient may be needed.
///
/// Leaves are created by the user (parameters pass `requiresGradient: true`); every differentiable
/// op on variables records its inputs and one pullback in the variable it returns. Nothing is recorded
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
    /// The op that produced this variable ("leaf" for leaves and constants).
    public let opName: String
    /// The recorded op's inputs (empty for leaves and constants).
    let inputs: Inputs
    /// The recorded op's map from this variable's cotangent to its inputs'; nil for leaves and
    /// constants. (Kept in the variable itself rather than in a separate node object: one heap
    /// allocation fewer per op.)
    let pullback: Pullback?

    /// `pullback(cotangent, needed)`: the cotangent for each input, nil where not `needed`.
    public typealias Pullback = (_ cotangent: Variable, _ needed: NeededInputs) -> Cotangents

    /// A recorded op's inputs, `Inputs(x, w)`.
    public typealias Inputs = SmallList<Variable>
    /// A pullback's cotangents, one per input in order, nil where not needed: `Cotangents(dx, nil)`.
    public typealias Cotangents = SmallList<Variable?>

    /// A leaf (a parameter when `requiresGradient`, a constant otherwise).
    public init(_ value: Tensor, requiresGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
        self.opName = "leaf"
        self.inputs = Inputs()
        self.pullback = nil
    }

    init(value: Tensor, op: String, inputs: Inputs, pullback: @escaping Pullback) {
        self.value = value
        self.requiresGradient = true
        self.opName = op
        self.inputs = inputs
        self.pullback = pullback
    }

    public var shape: [Int] { value.shape }
    public var rank: Int { value.rank }

    /// The same value cut off from the graph: no gradient flows back through it.
    public func detached() -> Variable { Variable(value) }

    /// Records the result of an op. `pullback(cotangent, needed)` returns the cotangent for each
    /// input (nil where `needed[i]` is false); it is written with differentiable ops so that
    /// gradients of gradients work.
    ///
    /// `inputs` and `pullback` are evaluated only when the op is recorded: with gradients off
    /// (inference, a backward pass without `createGraph`) the closure's context is not
    /// allocated.
    public static func record(
        _ op: String, _ value: Tensor, inputs: @autoclosure () -> Inputs,
        pullback: @autoclosure () -> Pullback
    ) -> Variable {
        guard GradientMode.isEnabled else { return Variable(value) }
        let inputs = inputs()
        guard inputs.contains(where: { $0.requiresGradient }) else { return Variable(value) }
        return Variable(value: value, op: op, inputs: inputs, pullback: pullback())
    }
}

/// Up to three elements held inline and any more in an array: an op's inputs and its pullback's
/// cotangents, formed for every op of every step without a heap allocation (an array literal, or
/// a variadic argument list, allocates its buffer each time; only `concat` of more than three
/// parts uses the array).
public struct SmallList<Element>: RandomAccessCollection {
    /// Elements 0, 1 and 2 (nil past `count`), then the rest.
    private var e0: Element?, e1: Element?, e2: Element?
    private var rest: [Element] = []
    public private(set) var count = 0

    /// No elements.
    public init() {}
    public init(_ a: Element) { e0 = a; count = 1 }
    public init(_ a: Element, _ b: Element) { e0 = a; e1 = b; count = 2 }
    public init(_ a: Element, _ b: Element, _ c: Element) { e0 = a; e1 = b; e2 = c; count = 3 }
    /// The elements of `all`, in order.
    public init(_ all: [Element]) {
        count = all.count
        if count > 0 { e0 = all[0] }
        if count > 1 { e1 = all[1] }
        if count > 2 { e2 = all[2] }
        if count > 3 { rest = Array(all[3...]) }
    }

    /// Adds `e` after the others.
    public mutating func append(_ e: Element) {
        switch count {
        case 0: e0 = e
        case 1: e1 = e
        case 2: e2 = e
        default: rest.append(e)
        }
        count += 1
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(i: Int) -> Element {
        require(i >= 0 && i < count, "SmallList: index \(i) outside 0..<\(count)")
        switch i {
        case 0: return e0!
        case 1: return e1!
        case 2: return e2!
        default: return rest[i - 3]
        }
    }
}

extension Variable: CustomStringConvertible {
    public var description: String { "Variable(\(opName), \(value))" }
}

/// Which inputs of a recorded op need a cotangent: `needed[i]` for input `i`. A bit set, so
/// asking costs no heap allocation in the backward pass (ops with more than 64 inputs, such as
/// a long `concat`, keep the rest in a set).
public struct NeededInputs: Equatable, Sendable {
    private var bits: UInt64 = 0
    private var beyond64: Set<Int> = []

    /// True when input `i` needs a cotangent.
    public subscript(i: Int) -> Bool { i < 64 ? bits & (1 << UInt64(i)) != 0 : beyond64.contains(i) }

    /// True when no input needs one.
    public var isEmpty: Bool { bits == 0 && beyond64.isEmpty }

    /// No input needed.
    public init() {}

    /// Inputs `first` and `more` marked as needed (for tests and hand-written pullbacks).
    public init(_ first: Int, _ more: Int...) {
        insert(first)
        for i in more { insert(i) }
    }

    /// Marks input `i` as needed.
    public mutating func insert(_ i: Int) {
        require(i >= 0, "NeededInputs: negative input index \(i)")
        if i < 64 { bits |= 1 << UInt64(i) } else { beyond64.insert(i) }
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
