/// Batch normalisation in training mode, PyTorch `BatchNorm1d/2d` semantics.
///
/// Statistics are taken per channel (axis 1) over every other axis: `x: [N, C]` or `[N, C, H, W]`.
/// `y = (x − μ) / √(σ²_biased + ε) · weight + bias`. Returns `y` and the batch mean and *biased*
/// variance (the caller keeps running statistics with the unbiased variance, as PyTorch).
/// Composed of differentiable ops, so gradients of gradients work.
public func batchNormTraining(_ x: Variable, weight: Variable?, bias: Variable?, epsilon: Float)
    -> (output: Variable, mean: Tensor, variance: Tensor)
{
    precondition(x.rank == 2 || x.rank == 4, "batchNorm: expected [N, C] or [N, C, H, W], got \(x.shape)")
    let axes = x.rank == 2 ? [0] : [0, 2, 3]
    let mean = x.mean(axes: axes, keepDims: true)
    let centered = x - mean
    let variance = centered.squared().mean(axes: axes, keepDims: true)
    let normalized = centered * (variance + epsilon).pow(-0.5)
    return (affine(normalized, weight: weight, bias: bias), mean.value, variance.value)
}

/// Batch normalisation in evaluation mode with given statistics: `(x − mean)/√(var + ε)·weight + bias`.
public func batchNormInference(_ x: Variable, mean: Tensor, variance: Tensor, weight: Variable?, bias: Variable?,
                               epsilon: Float) -> Variable {
    let c = x.shape[1]
    let statShape = x.rank == 2 ? [1, c] : [1, c, 1, 1]
    let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }.reshaped(statShape)
    let normalized = (x - Variable(mean.reshaped(statShape))) * Variable(invStd)
    return affine(normalized, weight: weight, bias: bias)
}

private func affine(_ x: Variable, weight: Variable?, bias: Variable?) -> Variable {
    let statShape = x.rank == 2 ? [1, x.shape[1]] : [1, x.shape[1], 1, 1]
    var y = x
    if let w = weight { y = y * w.reshaped(statShape) }
    if let b = bias { y = y + b.reshaped(statShape) }
    return y
}
