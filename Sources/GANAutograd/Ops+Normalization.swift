/// Batch normalisation in training mode, PyTorch `BatchNorm1d/2d` semantics.
///
/// Statistics are taken per channel (axis 1) over every other axis: `x: [N, C]` or `[N, C, H, W]`.
/// `y = (x − μ) / √(σ²_biased + ε) · weight + bias`. Returns `y` and the batch mean and *biased*
/// variance, both `[C]` (the caller keeps running statistics with the unbiased variance, as PyTorch).
///
/// `activationSlope` fuses a LeakyReLU with that negative slope (≥ 0; 0 is ReLU) into the same op:
/// the output is `leakyRelu(y)`, the same values and gradients as applying
/// ``Variable/leakyRelu(slope:)`` after, without keeping the intermediate `y` or passing over it
/// twice more in the forward pass.
///
/// Forward and backward run as fused kernels (``NormalizationKernels``). When the backward pass
/// is itself recorded (`createGraph`, for gradients of gradients), the pullback writes the same
/// backward formula in differentiable ops (`batchNormBackwardComposite`), which gives the same
/// values with a graph.
public func batchNormTraining(
    _ x: Variable, weight: Variable?, bias: Variable?, epsilon: Float, activationSlope: Float? = nil
) -> (output: Variable, mean: Tensor, variance: Tensor) {
    let (y, statistics) = NormalizationKernels.batchNormForward(
        x.value, weight: weight?.value, bias: bias?.value, epsilon: epsilon, activationSlope: activationSlope)
    var inputs = Variable.Inputs(x)
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    let op = activationSlope.map { $0 == 0 ? "batchNormReLU" : "batchNormLeakyReLU" } ?? "batchNorm"
    let output = Variable.record(op, y, inputs: inputs) { g, needed in
        if GradientMode.isEnabled {
            // Recorded, for gradients of gradients: g back through the activation (linear in g,
            // the mask a constant), then batch norm's backward written in differentiable ops.
            let gNormalized = activationSlope.map { g.scaledWhereNotPositive(y, by: $0) } ?? g
            return batchNormBackwardComposite(gNormalized, x, weight: weight, bias: bias, epsilon: epsilon, needed: needed)
        }
        // Through the activation first (its mask from the output: for a slope ≥ 0 the output is
        // positive exactly where its input was), then the normalisation.
        let gNormalized = activationSlope.map { Tensor.leakyReluBackward(g.value, input: y, slope: $0) } ?? g.value
        let (dx, dw, db) = NormalizationKernels.batchNormBackward(
            gNormalized, input: x.value, weight: weight?.value, statistics: statistics)
        var grads = Variable.Cotangents(needed[0] ? Variable(dx) : nil)
        if let w = weight { grads.append(needed[grads.count] ? Variable(dw.reshaped(w.shape)) : nil) }
        if let b = bias { grads.append(needed[grads.count] ? Variable(db.reshaped(b.shape)) : nil) }
        return grads
    }
    return (output, statistics.mean, statistics.variance)
}

/// The composite (differentiable-op) form of training-mode batch normalisation: the reference
/// the fused kernels and their recorded backward are tested against.
public func batchNormComposite(_ x: Variable, weight: Variable?, bias: Variable?, epsilon: Float) -> Variable {
    require(x.rank == 2 || x.rank == 4, "batchNorm: expected [N, C] or [N, C, H, W], got \(x.shape)")
    let axes = x.rank == 2 ? [0] : [0, 2, 3]
    let mean = x.mean(axes: axes, keepDims: true)
    let centered = x - mean
    let variance = centered.squared().mean(axes: axes, keepDims: true)
    let normalized = centered * (variance + epsilon).pow(-0.5)
    return affine(normalized, weight: weight, bias: bias)
}

/// The backward pass of training-mode batch normalisation in differentiable ops, for gradients of
/// gradients. With `x̂ = (x − μ)·σ⁻¹` (σ² the biased batch variance + ε, per channel) and the
/// means `⟨·⟩` over every axis but the channel axis:
///
///     ĝ  = g·weight
///     dx = σ⁻¹·(ĝ − ⟨ĝ⟩ − x̂·⟨ĝ·x̂⟩),   dweight = Σ g·x̂,   dbias = Σ g
///
/// `g` enters as a recorded input, never differentiated through: the vector-Jacobian product of
/// the composite form taken by a nested `gradients(of: Σ composite·g)` would also walk g's own
/// graph, which reaches this layer's output whenever a later op's backward reads its input
/// (tanh, a second batch norm), adding a wrong term and re-entering this pullback.
/// Only the gradients `needed` asks for are formed (nil for the others), in the order x, weight, bias.
func batchNormBackwardComposite(
    _ g: Variable, _ x: Variable, weight: Variable?, bias: Variable?, epsilon: Float, needed: NeededInputs
) -> Variable.Cotangents {
    let axes = x.rank == 2 ? [0] : [0, 2, 3]
    let statShape = x.rank == 2 ? [1, x.shape[1]] : [1, x.shape[1], 1, 1]
    let centered = x - x.mean(axes: axes, keepDims: true)
    let inverseStd = (centered.squared().mean(axes: axes, keepDims: true) + epsilon).pow(-0.5)
    let normalized = centered * inverseStd
    var grads = Variable.Cotangents()
    if needed[0] {
        let gHat = weight.map { g * $0.reshaped(statShape) } ?? g
        let meanG = gHat.mean(axes: axes, keepDims: true)
        let meanGX = (gHat * normalized).mean(axes: axes, keepDims: true)
        grads.append(inverseStd * (gHat - meanG - normalized * meanGX))
    } else {
        grads.append(nil)
    }
    if let w = weight { grads.append(needed[grads.count] ? (g * normalized).sum(axes: axes).reshaped(w.shape) : nil) }
    if let b = bias { grads.append(needed[grads.count] ? g.sum(axes: axes).reshaped(b.shape) : nil) }
    return grads
}

/// Batch normalisation in evaluation mode with given statistics: `(x − mean)/√(var + ε)·weight + bias`,
/// computed as one per-channel affine map `x·scale + shift` with `scale = weight/√(var + ε)` and
/// `shift = bias − mean·scale` (differentiable in `x`, `weight` and `bias`), followed in the same
/// pass by a LeakyReLU when `activationSlope` is given (as ``batchNormTraining(_:weight:bias:epsilon:activationSlope:)``).
public func batchNormInference(_ x: Variable, mean: Tensor, variance: Tensor, weight: Variable?, bias: Variable?,
                               epsilon: Float, activationSlope: Float? = nil) -> Variable {
    require(x.rank == 2 || x.rank == 4, "batchNorm: expected [N, C] or [N, C, H, W], got \(x.shape)")
    let (scale, shift) = foldedStatistics(mean: mean, variance: variance, weight: weight, bias: bias, epsilon: epsilon)
    return channelAffine(x, scale: scale, shift: shift, activationSlope: activationSlope)
}

/// ``batchNormInference(_:mean:variance:weight:bias:epsilon:activationSlope:)`` written over
/// `x`'s own values, for inference (no graph recorded): nothing may read `x` as it was, and no
/// second activation-sized buffer is taken (`Sequential` uses it for its own intermediates).
public func batchNormInferenceInPlace(_ x: Variable, mean: Tensor, variance: Tensor, weight: Variable?, bias: Variable?,
                                      epsilon: Float, activationSlope: Float? = nil) {
    require(!GradientMode.isEnabled, "batchNormInferenceInPlace: only where no graph is recorded (withoutGradients)")
    let (scale, shift) = NormalizationKernels.foldedStatistics(mean: mean, variance: variance, weight: weight?.value,
                                                               bias: bias?.value, epsilon: epsilon)
    NormalizationKernels.channelAffineInPlace(&x.value, scale: scale, shift: shift, activationSlope: activationSlope)
}

/// `scale = weight/√(var + ε)` and `shift = bias − mean·scale`, each `[C]`, as differentiable
/// ops (``NormalizationKernels/foldedStatistics(mean:variance:weight:bias:epsilon:)`` gives the
/// same bits on tensors).
private func foldedStatistics(mean: Tensor, variance: Tensor, weight: Variable?, bias: Variable?,
                              epsilon: Float) -> (scale: Variable, shift: Variable) {
    let invStd = Variable(variance.map { 1 / ($0 + epsilon).squareRoot() }.reshaped([variance.count]))
    let scale = weight.map { $0.reshaped(invStd.shape) * invStd } ?? invStd
    let shifted = Variable(mean.reshaped(invStd.shape)) * scale
    let shift = bias.map { $0.reshaped(invStd.shape) - shifted } ?? -shifted
    return (scale, shift)
}

/// `y[n, c, …] = f(x[n, c, …] · scale[c] + shift[c])` for `x: [N, C]` or `[N, C, H, W]`,
/// `scale`, `shift`: `[C]`, `f` the identity or LeakyReLU with negative slope `activationSlope`
/// (≥ 0; 0 is ReLU); one pass (``NormalizationKernels/channelAffine(_:scale:shift:activationSlope:)``).
public func channelAffine(_ x: Variable, scale: Variable, shift: Variable?, activationSlope: Float? = nil) -> Variable {
    let y = NormalizationKernels.channelAffine(x.value, scale: scale.value, shift: shift?.value, activationSlope: activationSlope)
    let inputs = shift.map { Variable.Inputs(x, scale, $0) } ?? Variable.Inputs(x, scale)
    let op = activationSlope.map { $0 == 0 ? "channelAffineReLU" : "channelAffineLeakyReLU" } ?? "channelAffine"
    return Variable.record(op, y, inputs: inputs) { gOutput, needed in
        // Back through the activation first: where the output is positive, as its input was.
        let g = activationSlope.map { gOutput.scaledWhereNotPositive(y, by: $0) } ?? gOutput
        let axes = x.rank == 2 ? [0] : [0, 2, 3]
        var grads = Variable.Cotangents(needed[0] ? channelAffine(g, scale: scale, shift: nil) : nil,
                                        needed[1] ? (g * x).sum(axes: axes) : nil)
        if shift != nil { grads.append(needed[2] ? g.sum(axes: axes) : nil) }
        return grads
    }
}

private func affine(_ x: Variable, weight: Variable?, bias: Variable?) -> Variable {
    let statShape = x.rank == 2 ? [1, x.shape[1]] : [1, x.shape[1], 1, 1]
    var y = x
    if let w = weight { y = y * w.reshaped(statShape) }
    if let b = bias { y = y + b.reshaped(statShape) }
    return y
}
