/// Batch normalisation, PyTorch `nn.BatchNorm1d` (`[N, C]`) and `nn.BatchNorm2d` (`[N, C, H, W]`).
///
/// Training: normalise with the batch mean and biased variance, and update
/// `running_mean ← (1 − momentum)·running_mean + momentum·mean` and
/// `running_var ← (1 − momentum)·running_var + momentum·var·n/(n − 1)` (the unbiased variance, as PyTorch).
/// Evaluation: normalise with the running statistics.
/// Parameters `weight` (ones) and `bias` (zeros) of shape `[C]`; buffers `running_mean` (zeros),
/// `running_var` (ones) and `num_batches_tracked`.
/// Deviation from PyTorch: `num_batches_tracked` is stored as Float32, not int64.
public class BatchNorm: Module, Layer {
    public let weight: Variable?
    public let bias: Variable?
    public let runningMean: Buffer
    public let runningVar: Buffer
    public let numBatchesTracked: Buffer
    public let epsilon: Float, momentum: Float
    let expectedRank: Int

    init(_ features: Int, rank: Int, epsilon: Float, momentum: Float, affine: Bool) {
        expectedRank = rank
        self.epsilon = epsilon
        self.momentum = momentum
        weight = affine ? Variable(Tensor(ones: [features]), requiresGradient: true) : nil
        bias = affine ? Variable(Tensor(zeros: [features]), requiresGradient: true) : nil
        runningMean = Buffer(Tensor(zeros: [features]))
        runningVar = Buffer(Tensor(ones: [features]))
        numBatchesTracked = Buffer(Tensor(zeros: []))
    }

    /// Batch statistics couple the rows (in training mode; said always, to stay safe).
    public override var mixesBatchRows: Bool { true }

    public func callAsFunction(_ x: Variable) -> Variable { callAsFunction(x, activationSlope: nil) }

    /// The layer followed by LeakyReLU with negative slope `activationSlope` (≥ 0; 0 is ReLU) in
    /// one op, or by nothing when nil: the same values as the two layers one after the other,
    /// without the normalised tensor between them (``Sequential`` calls it for such pairs).
    public func callAsFunction(_ x: Variable, activationSlope: Float?) -> Variable {
        checkInput(x)
        let c = runningMean.value.count
        guard isTraining else {
            return batchNormInference(x, mean: runningMean.value, variance: runningVar.value,
                                      weight: weight, bias: bias, epsilon: epsilon, activationSlope: activationSlope)
        }
        let n = x.value.count / c
        require(n > 1, "\(type(of: self)): training needs more than one value per channel, got input \(x.shape)")
        let (y, mean, variance) = batchNormTraining(
            x, weight: weight, bias: bias, epsilon: epsilon, activationSlope: activationSlope)
        let m = momentum, unbiased = Float(n) / Float(n - 1)
        runningMean.value = Tensor.combine(runningMean.value, mean, op: "BatchNorm running mean") {
            (1 - m) * $0 + m * $1
        }
        runningVar.value = Tensor.combine(runningVar.value, variance, op: "BatchNorm running var") {
            (1 - m) * $0 + m * $1 * unbiased
        }
        numBatchesTracked.value = numBatchesTracked.value + 1
        return y
    }

    /// In evaluation mode with no graph recorded, the layer (and the activation, as in
    /// ``callAsFunction(_:activationSlope:)``) written over `x`'s own values, which nothing may
    /// read as they were.
    public func applyInPlace(to x: Variable, activationSlope: Float?) {
        require(!isTraining, "\(type(of: self)).applyInPlace: only in evaluation mode")
        checkInput(x)
        batchNormInferenceInPlace(x, mean: runningMean.value, variance: runningVar.value,
                                  weight: weight, bias: bias, epsilon: epsilon, activationSlope: activationSlope)
    }

    private func checkInput(_ x: Variable) {
        let c = runningMean.value.count
        require(x.rank == expectedRank && x.shape[1] == c,
                     "\(type(of: self)): expected \(expectedRank == 2 ? "[N, \(c)]" : "[N, \(c), H, W]"), got \(x.shape)")
    }
}

/// Batch normalisation over `[N, C]`.
public final class BatchNorm1d: BatchNorm {
    public init(_ features: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        super.init(features, rank: 2, epsilon: epsilon, momentum: momentum, affine: affine)
    }
}

/// Batch normalisation over `[N, C, H, W]`, statistics per channel.
public final class BatchNorm2d: BatchNorm {
    public init(_ features: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        super.init(features, rank: 4, epsilon: epsilon, momentum: momentum, affine: affine)
    }
}
