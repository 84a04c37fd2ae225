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

/// The value of `f()` and its gradient with respect to `wrt` (tensors, no graph kept).
public func valueAndGradients(wrt: [Variable], _ f: () -> Variable) -> (value: Tensor, gradients: [Tensor]) {
    let y = GradientMode.$isEnabled.withValue(true, operation: f)
    return (y.value, gradients(of: y, wrt: wrt).map(\.value))
}
