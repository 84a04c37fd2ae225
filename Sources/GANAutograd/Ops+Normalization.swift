/// Batch normalisation in training mode, PyTorch `BatchNorm1d/2d` semantics.
///
/// Statistics are taken per channel (axis 1) over every other axis: `x: [N, C]` or `[N, C, H, W]`.
/// `y = (x − μ) / √(σ²_biased + ε) · weight + bias`. Returns `y` and the batch mean and *biased*
/// variance, both `[C]` (the caller keeps running statistics with the unbiased variance, as PyTorch).
///
/// Forward and backward run as fused kernels (``NormalizationKernels``). When the backward pass
/// is itself recorded (`createGraph`, for gradients of gradients), the pullback differentiates
/// the composite form instead, which gives the same values with a graph.
public func batchNormTraining(_ x: Variable, weight: Variable?, bias: Variable?, epsilon: Float)
    -> (output: Variable, mean: Tensor, variance: Tensor)
{
    let (y, statistics) = NormalizationKernels.batchNormForward(
        x.value, weight: weight?.value, bias: bias?.value, epsilon: epsilon)
    let inputs: [Variable] = switch (weight, bias) {
    case let (w?, b?): [x, w, b]
    case let (w?, nil): [x, w]
    case let (nil, b?): [x, b]
    case (nil, nil): [x]
    }
    let output = Variable.record("batchNorm", y, inputs: inputs) { g, needed in
        if GradientMode.isEnabled {
            // Vector-Jacobian product of the composite form, recorded: Σ composite ⊙ g.
            let composite = batchNormComposite(x, weight: weight, bias: bias, epsilon: epsilon)
            return gradients(of: (composite * g).sum(), wrt: inputs, createGraph: true)
                .enumerated().map { needed[$0.offset] ? $0.element : nil }
        }
        let (dx, dw, db) = NormalizationKernels.batchNormBackward(
            g.value, input: x.value, weight: weight?.value, statistics: statistics)
        var grads: [Variable?] = [needed[0] ? Variable(dx) : nil]
        grads.reserveCapacity(inputs.count)
        if let w = weight { grads.append(needed[grads.count] ? Variable(dw.reshaped(w.shape)) : nil) }
        if let b = bias { grads.append(needed[grads.count] ? Variable(db.reshaped(b.shape)) : nil) }
        return grads
    }
    return (output, statistics.mean, statistics.variance)
}

/// The composite (differentiable-op) form of training-mode batch normalisation: the reference
/// the fused kernels are tested against, and the graph for gradients of gradients.
public func batchNormComposite(_ x: Variable, weight: Variable?, bias: Variable?, epsilon: Float) -> Variable {
    precondition(x.rank == 2 || x.rank == 4, "batchNorm: expected [N, C] or [N, C, H, W], got \(x.shape)")
    let axes = x.rank == 2 ? [0] : [0, 2, 3]
    let mean = x.mean(axes: axes, keepDims: true)
    let centered = x - mean
    let variance = centered.squared().mean(axes: axes, keepDims: true)
    let normalized = centered * (variance + epsilon).pow(-0.5)
    return affine(normalized, weight: weight, bias: bias)
}

/// Batch normalisation in evaluation mode with given statistics: `(x − mean)/√(var + ε)·weight + bias`,
/// computed as one per-channel affine map `x·scale + shift` with `scale = weight/√(var + ε)` and
/// `shift = bias − mean·scale` (differentiable in `x`, `weight` and `bias`).
public func batchNormInference(_ x: Variable, mean: Tensor, variance: Tensor, weight: Variable?, bias: Variable?,
                               epsilon: Float) -> Variable {
    precondition(x.rank == 2 || x.rank == 4, "batchNorm: expected [N, C] or [N, C, H, W], got \(x.shape)")
    let invStd = Variable(variance.map { 1 / ($0 + epsilon).squareRoot() }.reshaped([x.shape[1]]))
    let scale = weight.map { $0.reshaped(invStd.shape) * invStd } ?? invStd
    let shifted = Variable(mean.reshaped(invStd.shape)) * scale
    let shift = bias.map { $0.reshaped(invStd.shape) - shifted } ?? -shifted
    return channelAffine(x, scale: scale, shift: shift)
}

/// `y[n, c, …] = x[n, c, …] · scale[c] + shift[c]` for `x: [N, C]` or `[N, C, H, W]`,
/// `scale`, `shift`: `[C]`; one pass (``NormalizationKernels/channelAffine(_:scale:shift:)``).
public func channelAffine(_ x: Variable, scale: Variable, shift: Variable?) -> Variable {
    let y = NormalizationKernels.channelAffine(x.value, scale: scale.value, shift: shift?.value)
    let inputs = shift.map { [x, scale, $0] } ?? [x, scale]
    return Variable.record("channelAffine", y, inputs: inputs) { g, needed in
        let axes = x.rank == 2 ? [0] : [0, 2, 3]
        return [
            needed[0] ? channelAffine(g, scale: scale, shift: nil) : nil,
            needed[1] ? (g * x).sum(axes: axes) : nil,
        ] + (shift == nil ? [] : [needed[2] ? g.sum(axes: axes) : nil])
    }
}

private func affine(_ x: Variable, weight: Variable?, bias: Variable?) -> Variable {
    let statShape = x.rank == 2 ? [1, x.shape[1]] : [1, x.shape[1], 1, 1]
    var y = x
    if let w = weight { y = y * w.reshaped(statShape) }
    if let b = bias { y = y + b.reshaped(statShape) }
    return y
}
