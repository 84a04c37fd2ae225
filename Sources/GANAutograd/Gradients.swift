/// Reverse-mode differentiation: the gradient of a scalar with respect to an explicit set of variables.
///
/// Only nodes that lie on a path from `wrt` to `output` are visited, and each pullback is told which
/// of its inputs need a cotangent, so no other gradient is ever formed: in a generator step,
/// `gradients(of: lossG, wrt: G.parameters)` flows through the discriminator's activations but never
/// computes a discriminator weight gradient.
///
/// - Parameters:
///   - output: a scalar (one-element) variable, or any variable when `seed` is given.
///   - wrt: the variables to differentiate with respect to (parameters, inputs or intermediates).
///   - seed: the cotangent of `output` (default: ones).
///   - createGraph: record the backward pass itself, so the returned gradients can be differentiated
///     again (gradient penalties, R1). Off by default: the backward pass then records nothing.
/// - Returns: one gradient per element of `wrt`, zeros where `output` does not depend on it.
public func gradients(
    of output: Variable, wrt: [Variable], seed: Tensor? = nil, createGraph: Bool = false
) -> [Variable] {
    if seed == nil {
        require(
            output.value.count == 1,
            "gradients(of:wrt:): output has shape \(output.shape); pass a seed for non-scalar outputs")
    } else {
        require(seed!.shape == output.shape, "gradients(of:wrt:): seed shape \(seed!.shape) differs from output shape \(output.shape)")
    }
    let recorder = BackwardRecorder.current
    var targets = Set<ObjectIdentifier>(minimumCapacity: wrt.count)
    for v in wrt { targets.insert(ObjectIdentifier(v)) }

    // Topological order of the variables that require gradients (inputs before outputs), iteratively.
    // Sized for a typical training graph, so they do not grow step by step.
    var order = [Variable]()
    order.reserveCapacity(256)
    var visited = Set<ObjectIdentifier>(minimumCapacity: 256)
    var stack: [(Variable, Bool)] = [(output, false)]
    stack.reserveCapacity(256)
    while let (v, expanded) = stack.popLast() {
        let id = ObjectIdentifier(v)
        if expanded { order.append(v); continue }
        if visited.contains(id) || !v.requiresGradient { continue }
        visited.insert(id)
        stack.append((v, true))
        for input in v.inputs where input.requiresGradient && !visited.contains(ObjectIdentifier(input)) {
            stack.append((input, false))
        }
    }

    // reaches[v]: v is a target or some input of v reaches one (only those need cotangents).
    var reaches = Set<ObjectIdentifier>(minimumCapacity: order.count)
    for v in order {
        let id = ObjectIdentifier(v)
        if targets.contains(id) || v.inputs.contains(where: { reaches.contains(ObjectIdentifier($0)) }) {
            reaches.insert(id)
        }
    }

    recorder?.calls.append(BackwardRecorder.Call(graph: order))

    var grads = [ObjectIdentifier: Variable](minimumCapacity: order.count)
    func backward() {
        guard reaches.contains(ObjectIdentifier(output)) else { return }
        grads[ObjectIdentifier(output)] = Variable(seed ?? Tensor(shape: output.shape, repeating: 1))
        for v in order.reversed() {
            let id = ObjectIdentifier(v)
            guard let pullback = v.pullback, let g = grads[id] else { continue }
            if !targets.contains(id) { grads[id] = nil }      // free intermediate cotangents early
            var needed = NeededInputs()
            for (i, input) in v.inputs.enumerated() where reaches.contains(ObjectIdentifier(input)) { needed.insert(i) }
            guard !needed.isEmpty else { continue }
            if let recorder { recorder.calls[recorder.calls.count - 1].pullbacks.append((v, needed)) }
            let inputGrads = pullback(g, needed)
            for (i, input) in v.inputs.enumerated() where needed[i] {
                guard let gi = inputGrads[i] else { continue }
                require(
                    gi.shape == input.shape,
                    "autodiff: pullback of '\(v.opName)' returned a gradient of shape \(gi.shape) for an input of shape \(input.shape)")
                let key = ObjectIdentifier(input)
                grads[key] = grads[key].map { $0 + gi } ?? gi
            }
        }
    }
    if createGraph { GradientMode.$isEnabled.withValue(true, operation: backward) }
    else { withoutGradients(backward) }

    return wrt.map { grads[ObjectIdentifier($0)] ?? Variable(Tensor(zeros: $0.shape)) }
}

/// Test hook (internal; for `@testable` tests): what each ``gradients(of:wrt:seed:createGraph:)``
/// call inside ``recording(_:)`` visited, so a test can prove which cotangents were (not) formed.
/// Outside a recording the backward pass pays one task-local read per call.
final class BackwardRecorder: @unchecked Sendable {
    struct Call {
        /// The variables that require gradients and `output` depends on, inputs before outputs.
        var graph: [Variable]
        /// Each pullback that ran, with the inputs it was asked cotangents for.
        var pullbacks: [(node: Variable, needed: NeededInputs)] = []

        /// The inputs that some pullback was asked a cotangent for.
        var cotangentsAsked: [Variable] {
            pullbacks.flatMap { p in p.node.inputs.indices.filter { p.needed[$0] }.map { p.node.inputs[$0] } }
        }
    }

    @TaskLocal static var current: BackwardRecorder?

    /// One entry per `gradients` call, in order.
    var calls: [Call] = []

    /// Runs `body`, recording every backward pass it makes.
    static func recording<R>(_ body: () throws -> R) rethrows -> (result: R, calls: [Call]) {
        let recorder = BackwardRecorder()
        let result = try $current.withValue(recorder, operation: body)
        return (result, recorder.calls)
    }
}

/// The value of `f()` and its gradient with respect to `wrt` (tensors, no graph kept).
public func valueAndGradients(wrt: [Variable], _ f: () -> Variable) -> (value: Tensor, gradients: [Tensor]) {
    let y = GradientMode.$isEnabled.withValue(true, operation: f)
    return (y.value, gradients(of: y, wrt: wrt).map(\.value))
}
