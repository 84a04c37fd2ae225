/// An optimizer bound to a named set of parameters at creation (as in PyTorch).
///
/// ```swift
/// let optD = Adam(D.namedParameters(), learningRate: 2e-4, beta1: 0.5)
/// let lossD = …                                  // built from D's parameters
/// optD.minimize(lossD)                           // gradients for D's parameters only, then a step
/// ```
/// The per-parameter state (moments, momentum buffers) is keyed by the parameter's name, so it
/// can be saved with ``stateTensors()`` and restored with ``loadState(_:step:)``.
public class Optimizer {
    public let names: [String]
    public let parameters: [Variable]
    /// The rate used by the next step (schedules assign it before each step).
    public var learningRate: Float
    /// Steps taken so far.
    public internal(set) var stepCount = 0

    init(_ named: [(name: String, parameter: Variable)], learningRate: Float) {
        require(learningRate >= 0, "Optimizer: learning rate \(learningRate) is negative")
        let dup = Dictionary(grouping: named.map(\.name), by: { $0 }).filter { $0.value.count > 1 }.keys
        require(dup.isEmpty, "Optimizer: duplicate parameter names \(dup.sorted())")
        names = named.map(\.name)
        parameters = named.map(\.parameter)
        self.learningRate = learningRate
    }

    /// Applies one update from `gradients`, one per parameter in order.
    public func step(_ gradients: [Tensor]) {
        require(gradients.count == parameters.count,
                     "\(type(of: self)).step: \(gradients.count) gradients for \(parameters.count) parameters")
        stepCount += 1
        for i in parameters.indices {
            require(gradients[i].shape == parameters[i].shape,
                         "\(type(of: self)).step: gradient for '\(names[i])' has shape \(gradients[i].shape), parameter \(parameters[i].shape)")
            update(index: i, gradient: gradients[i])
        }
    }

    /// Differentiates `loss` with respect to this optimizer's parameters (and nothing else) and steps.
    /// Returns the gradients used.
    @discardableResult
    public func minimize(_ loss: Variable) -> [Tensor] {
        let g = gradients(of: loss, wrt: parameters).map(\.value)
        step(g)
        return g
    }

    /// Per-parameter update; subclasses implement the rule.
    func update(index: Int, gradient: Tensor) { fatalError("\(type(of: self)) must override update(index:gradient:)") }

    /// State tensors by name (`<parameter>.<slot>`), for checkpoints.
    public func stateTensors() -> [String: Tensor] { [:] }

    /// Restores what ``stateTensors()`` returned and the step count.
    public func loadState(_ state: [String: Tensor], step: Int) throws { stepCount = step }

    func requireState(_ state: [String: Tensor], slot: String, for i: Int) throws -> Tensor? {
        let key = "\(names[i]).\(slot)"
        guard let t = state[key] else { return nil }
        guard t.shape == parameters[i].shape else {
            throw StateDictError(source: "\(type(of: self)) state", problem: "'\(key)' has shape \(t.shape), parameter \(parameters[i].shape)")
        }
        return t
    }
}

/// The optimizers' update loops run 16 values at a time: the compiler leaves their scalar loops
/// scalar (the parameter, gradient and state arrays may alias). ``forEachBlock(of:_:)`` cuts a
/// range into blocks of 16, the last shorter, and ``load(_:at:lanes:)`` / ``store(_:to:at:lanes:)``
/// move a block (a short one zero-padded, only its values stored back), so every value is
/// computed by the same operations in the same order wherever it falls: one formula, no scalar
/// tail to keep in step with it, and a result that does not depend on how the range was split.
enum Lanes {
    typealias Vector = SIMD16<Float>

    /// `body(start, lanes)` for `start` = `range.lowerBound`, +16, …, with `lanes` = 16 except
    /// for a last block of fewer values.
    @inline(__always)
    static func forEachBlock(of range: Range<Int>, _ body: (_ start: Int, _ lanes: Int) -> Void) {
        var start = range.lowerBound
        while start < range.upperBound {
            let lanes = Swift.min(Vector.scalarCount, range.upperBound - start)
            body(start, lanes)
            start += lanes
        }
    }

    /// `p[start ..< start + lanes]`, zeros after them.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, at start: Int, lanes: Int) -> Vector {
        if lanes == Vector.scalarCount {
            return UnsafeRawPointer(p + start).loadUnaligned(as: Vector.self)
        }
        var v = Vector(repeating: 0)
        for l in 0..<lanes { v[l] = p[start + l] }
        return v
    }

    /// Writes the first `lanes` values of `v` to `p[start ..< start + lanes]`.
    @inline(__always)
    static func store(_ v: Vector, to p: UnsafeMutablePointer<Float>, at start: Int, lanes: Int) {
        if lanes == Vector.scalarCount {
            UnsafeMutableRawPointer(p + start).storeBytes(of: v, as: Vector.self)
            return
        }
        for l in 0..<lanes { p[start + l] = v[l] }
    }
}
