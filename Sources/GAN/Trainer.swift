import Foundation

/// What one training iteration measured. Accuracies compare D's output with the loss's
/// ``GANLoss/decisionThreshold`` (logit 0 for the logistic losses, ½ for least-squares); D(x) and
/// D(G(z)) are mean sigmoids of the outputs (PyTorch's example prints the same quantities).
public struct StepStatistics: Codable, Sendable {
    public var lossD: Float = 0, lossG: Float = 0
    public var accuracyReal: Float = 0, accuracyFake: Float = 0
    /// D(x), D(G(z)) during the D step, and D(G(z)) during the G step (after D's update).
    public var dReal: Float = 0, dFake: Float = 0, dFakeAfter: Float = 0
    public var gradNormD: Float = 0, gradNormG: Float = 0
    public var lrD: Float = 0, lrG: Float = 0
    public var l2: Float = 0
    /// A loss or gradient was NaN or infinite; no update was applied.
    public var nonFinite = false
}

/// One GAN training run's state and its iteration: k D steps with G held constant (fakes
/// detached), then G steps through D (gradients for G's parameters only), or one simultaneous
/// update from a shared forward pass (the 2014 code).
///
/// All training randomness (noise, dropout masks, shuffling, label flips, instance noise) comes
/// from the one generator `rng`, whose state is checkpointed, so a resumed run is bit-identical.
public final class Trainer {
    public let config: TrainingConfig
    public let model: GANModel
    public let data: TrainingData
    public let rng: RandomGenerator
    public let optimizerG: Optimizer
    public let optimizerD: Optimizer
    /// Exponential moving average of G (nil when `emaDecay` is 0); sampling uses it when present.
    public let ema: GANModel?
    /// Completed iterations.
    public internal(set) var step = 0
    /// Current adaptive-L2 coefficient on D.
    public internal(set) var l2Lambda: Float
    /// Multiplies both learning-rate schedules; the divergence guard halves it on each rollback.
    public var learningRateScale: Float = 1
    public let totalSteps: Int
    let scheduleG: Schedule, scheduleD: Schedule

    public init(config: TrainingConfig, data: TrainingData? = nil) throws {
        try config.validate()
        self.config = config
        self.data = try data ?? TrainingData.load(config, range: config.model.pixelRange)
        rng = RandomGenerator(seed: config.seed)
        model = Trainer.makeModel(config, sampleShape: self.data.sampleShape, classCount: self.data.classCount, rng: rng)
        (model as? SigmoidOutputModel)?.setOutputBias(meanPixel: self.data.meanSample(range: .unit))
        if config.emaDecay > 0 {
            let copy = Trainer.makeModel(config, sampleShape: self.data.sampleShape, classCount: self.data.classCount,
                                         rng: RandomGenerator(seed: config.seed ^ 0xE3A))
            try copy.generator.load(stateDict: model.generator.stateDict())
            copy.generator.eval()
            ema = copy
        } else {
            ema = nil
        }
        optimizerG = Trainer.makeOptimizer(config, model.generator, lr: config.lrG, beta1: config.beta1G, beta2: config.beta2G)
        optimizerD = Trainer.makeOptimizer(config, model.discriminator, lr: config.lrD, beta1: config.beta1D, beta2: config.beta2D)
        l2Lambda = config.adaptiveL2 ? config.l2Initial : 0
        let perEpoch = self.data.batchesPerEpoch(config.batchSize) / (config.update == .alternating ? config.dSteps : 1)
        guard perEpoch > 0 else {
            let limit = config.trainLimit.map { " (--train-limit \($0))" } ?? ""
            throw ConfigError(field: "--batch-size", problem: "\(config.batchSize) × \(config.dSteps) D steps exceeds the \(self.data.count) training examples\(limit)")
        }
        let total: Int
        if let steps = config.steps { total = steps } else {
            let (product, overflow) = config.epochs!.multipliedReportingOverflow(by: perEpoch)
            guard !overflow else { throw ConfigError(field: "--epochs", problem: "\(config.epochs!) epochs of \(perEpoch) steps overflow the step counter") }
            total = product
        }
        totalSteps = total
        func schedule(_ lr: Float) -> Schedule {
            switch config.lrDecay {
            case .none: return ConstantSchedule(lr)
            case .exponential: return ExponentialDecaySchedule(initial: lr, factor: config.lrDecayFactor, minimum: config.lrMinimum)
            case .linear: return LinearDecaySchedule(initial: lr, final: 0, start: config.lrDecayStart, end: max(total, config.lrDecayStart + 1))
            }
        }
        scheduleG = schedule(config.lrG)
        scheduleD = schedule(config.lrD)
    }

    static func makeModel(_ c: TrainingConfig, sampleShape: [Int], classCount: Int, rng: RandomGenerator) -> GANModel {
        switch c.model {
        case .mlp: return MLPGAN(latentDimension: c.noiseDimension, imageShape: sampleShape, dropout: true, rng: rng)
        case .dcgan: return DCGAN(latentDimension: c.noiseDimension, channels: sampleShape[0], size: sampleShape[1], width: c.width, dDropout: c.dDropout, rng: rng)
        case .cgan: return ConditionalMLPGAN(latentDimension: c.noiseDimension, classes: classCount, imageShape: sampleShape, rng: rng)
        case .cdcgan: return ConditionalDCGAN(latentDimension: c.noiseDimension, classes: classCount, channels: sampleShape[0], size: sampleShape[1], width: c.width, dDropout: c.dDropout, rng: rng)
        case .toy: return ToyGAN(latentDimension: c.noiseDimension, hidden: c.width, dropout: c.dDropout, rng: rng)
        }
    }

    static func makeOptimizer(_ c: TrainingConfig, _ m: Module, lr: Float, beta1: Double, beta2: Double) -> Optimizer {
        switch c.optimizer {
        case .adam: return Adam(m.namedParameters(), learningRate: lr, beta1: beta1, beta2: beta2)
        case .sgd: return SGD(m.namedParameters(), learningRate: lr, momentum: c.momentum, style: .classical)
        }
    }

    // MARK: Sampling

    /// `count` noise vectors `[count] + latentShape` from `rng`.
    public func noise(_ count: Int, rng: RandomGenerator) -> Tensor {
        config.sampleNoise(count, shape: model.latentShape, rng: rng)
    }

    /// Labels for generated samples: uniform over the classes (nil for unconditional models).
    func fakeLabels(_ count: Int) -> [Int]? {
        model.isConditional ? (0..<count).map { _ in rng.nextInt(below: model.classCount) } : nil
    }

    /// Samples in [0, 1] (images) or data space (2-D) from the EMA generator when there is one,
    /// in evaluation mode; records nothing and changes no state. Generated a training batch at a
    /// time, so that sampling needs no more memory than a step: the checkpoint monitor's 1,000
    /// DCGAN samples in one batch took 390 MB more, which the buffer cache then kept for the rest
    /// of the run.
    public func sample(z: Tensor, labels: [Int]?) -> Tensor {
        let m = ema ?? model
        let wasTraining = m.generator.isTraining
        m.generator.eval()
        defer { if wasTraining { m.generator.train() } }
        let x = m.generate(z, labels: labels, batchSize: config.batchSize)
        return data.mixture == nil ? m.pixelRange.toUnit(x) : x
    }

    // MARK: One iteration

    /// The learning rates and momentum for the coming iteration.
    func applySchedules() {
        optimizerG.learningRate = learningRateScale * scheduleG.value(atStep: step)
        optimizerD.learningRate = learningRateScale * scheduleD.value(atStep: step)
        if config.optimizer == .sgd {
            // pylearn2 MomentumAdjustor: μ(e) = μ0 + (μ1 − μ0)·clip((e − 1)/(saturate − 1), 0, 1), e 1-based.
            let e = Float(data.epoch + 1), span = Float(max(config.momentumSaturateEpoch - 1, 1))
            let mu = config.momentum + (config.finalMomentum - config.momentum) * min(max((e - 1) / span, 0), 1)
            (optimizerG as? SGD)?.momentum = mu
            (optimizerD as? SGD)?.momentum = mu
        }
    }

    /// D's input: the sample plus annealed Gaussian instance noise.
    func withInstanceNoise(_ x: Variable) -> Variable {
        guard config.instanceNoise > 0 else { return x }
        let sigma = config.instanceNoise * max(0, 1 - Float(step) / Float(max(config.instanceNoiseSteps, 1)))
        guard sigma > 0 else { return x }
        return x + Variable(rng.normal(x.shape, std: sigma))
    }

    /// Per-sample targets for D: `realLabel` (smoothing) or 0, each flipped with `labelFlip`.
    func targets(_ count: Int, real: Bool) -> Tensor {
        let base: Float = real ? config.realLabel : 0, flipped: Float = real ? 0 : 1
        guard config.labelFlip > 0 else { return Tensor(shape: [count], repeating: base) }
        return rng.bernoulli([count], probability: config.labelFlip).map { $0 > 0 ? flipped : base }
    }

    /// Runs one iteration and advances `step`. When any loss or gradient is not finite, no
    /// parameter is changed and the statistics say so.
    @discardableResult
    public func trainStep() -> StepStatistics {
        applySchedules()
        var s = StepStatistics()
        s.lrG = optimizerG.learningRate
        s.lrD = optimizerD.learningRate
        s.l2 = l2Lambda
        switch config.update {
        case .simultaneous: simultaneousStep(&s)
        case .alternating: alternatingStep(&s)
        }
        if !s.nonFinite { step += 1 }
        return s
    }

    private func alternatingStep(_ s: inout StepStatistics) {
        var reusable: (fake: Variable, labels: [Int]?)?
        for k in 0..<config.dSteps {
            // The last D step's fakes keep their graph so the first G step can reuse them (one G
            // forward per iteration, as pytorch/examples); earlier ones record nothing.
            reusable = discriminatorStep(keepFakes: k == config.dSteps - 1, &s)
            if s.nonFinite { return }
        }
        for m in 0..<config.gSteps {
            generatorStep(reusing: m == 0 ? reusable : nil, &s)
            if s.nonFinite { return }
        }
    }

    /// One D update on a real batch and detached fakes: G is held constant (no G gradient can be
    /// formed from detached fakes). Returns the fakes with their graph when `keepFakes`.
    func discriminatorStep(keepFakes: Bool, _ s: inout StepStatistics) -> (fake: Variable, labels: [Int]?)? {
        let n = config.batchSize
        let (real, realLabels) = data.nextBatch(n, rng: rng)
        let labels = fakeLabels(n)
        let z = Variable(noise(n, rng: rng))
        let fake = keepFakes ? model.generate(z, labels: labels) : withoutGradients { model.generate(z, labels: labels) }
        let dReal = model.discriminate(withInstanceNoise(Variable(real)), labels: realLabels)
        let dFake = model.discriminate(withInstanceNoise(fake.detached()), labels: labels)
        let lossD = config.dLossScale * config.loss.discriminatorLoss(
            real: dReal, fake: dFake, realTargets: targets(n, real: true), fakeTargets: targets(n, real: false))
        let gradsD = gradients(of: lossD, wrt: optimizerD.parameters).map(\.value)
        record(&s, lossD: lossD.value.item, dReal: dReal.value, dFake: dFake.value, gradsD: gradsD)
        if s.nonFinite { return nil }
        stepDiscriminator(gradsD, &s)
        return keepFakes ? (fake, labels) : nil
    }

    /// One G update through D: gradients are asked for G's parameters only, so they flow through
    /// D's activations while D's weight gradients are never formed and D's optimizer never steps.
    func generatorStep(reusing previous: (fake: Variable, labels: [Int]?)?, _ s: inout StepStatistics) {
        let (fake, labels): (Variable, [Int]?)
        if let previous { (fake, labels) = previous } else {
            labels = fakeLabels(config.batchSize)
            fake = model.generate(Variable(noise(config.batchSize, rng: rng)), labels: labels)
        }
        let dFake = model.discriminate(withInstanceNoise(fake), labels: labels)
        let lossG = config.loss.generatorLoss(fake: dFake)
        let gradsG = gradients(of: lossG, wrt: optimizerG.parameters).map(\.value)
        s.lossG = lossG.value.item
        s.dFakeAfter = meanSigmoid(dFake.value)
        s.gradNormG = norm(gradsG)
        if !s.lossG.isFinite || !s.gradNormG.isFinite { s.nonFinite = true; return }
        optimizerG.step(gradsG)
        updateEMA()
    }

    /// True when no layer of D mixes the rows of a batch, so D may score real and fake images
    /// in one pass.
    private lazy var discriminatorRowsAreIndependent = !model.discriminator.anyModuleMixesBatchRows

    private func simultaneousStep(_ s: inout StepStatistics) {
        let n = config.batchSize
        let (real, realLabels) = data.nextBatch(n, rng: rng)
        let labels = fakeLabels(n)
        let fake = model.generate(Variable(noise(n, rng: rng)), labels: labels)
        // One D forward on the fakes serves both losses (the same dropout masks), as the 2014 code.
        let dReal: Variable, dFake: Variable
        if discriminatorRowsAreIndependent {
            // Real and fake rows in one pass: the same values and distribution (dropout masks
            // and instance noise are drawn per element), one larger product per layer, and D's
            // weight gradient formed once instead of summed from two passes.
            let both = model.discriminate(
                withInstanceNoise(concat([Variable(real), fake], axis: 0)),
                labels: realLabels.flatMap { r in labels.map { r + $0 } })
            dReal = both.slice(axis: 0, start: 0, length: n)
            dFake = both.slice(axis: 0, start: n, length: n)
        } else {
            dReal = model.discriminate(withInstanceNoise(Variable(real)), labels: realLabels)
            dFake = model.discriminate(withInstanceNoise(fake), labels: labels)
        }
        let lossD = config.dLossScale * config.loss.discriminatorLoss(
            real: dReal, fake: dFake, realTargets: targets(n, real: true), fakeTargets: targets(n, real: false))
        let lossG = config.loss.generatorLoss(fake: dFake)
        // Both gradients are taken before either player moves.
        let gradsD = gradients(of: lossD, wrt: optimizerD.parameters).map(\.value)
        let gradsG = gradients(of: lossG, wrt: optimizerG.parameters).map(\.value)
        record(&s, lossD: lossD.value.item, dReal: dReal.value, dFake: dFake.value, gradsD: gradsD)
        s.lossG = lossG.value.item
        s.dFakeAfter = s.dFake
        s.gradNormG = norm(gradsG)
        if s.nonFinite || !s.lossG.isFinite || !s.gradNormG.isFinite { s.nonFinite = true; return }
        stepDiscriminator(gradsD, &s)
        optimizerG.step(gradsG)
        updateEMA()
    }

    private func record(_ s: inout StepStatistics, lossD: Float, dReal: Tensor, dFake: Tensor, gradsD: [Tensor]) {
        s.lossD = lossD
        s.dReal = meanSigmoid(dReal)
        s.dFake = meanSigmoid(dFake)
        (s.accuracyReal, s.accuracyFake) = config.loss.accuracies(real: dReal, fake: dFake)
        s.gradNormD = norm(gradsD)
        if !lossD.isFinite || !s.gradNormD.isFinite { s.nonFinite = true }
    }

    /// Adds the adaptive L2 term, steps D, clips for the Wasserstein loss, and adapts λ.
    private func stepDiscriminator(_ grads: [Tensor], _ s: inout StepStatistics) {
        var g = grads
        if l2Lambda > 0 {
            for i in g.indices { g[i].addScaled(optimizerD.parameters[i].value, alpha: l2Lambda) }
        }
        optimizerD.step(g)
        if config.loss == .wasserstein {
            let c = config.clip
            for p in optimizerD.parameters { p.value = p.value.map { min(max($0, -c), c) } }
        }
        if config.adaptiveL2 { adaptL2(fakeAccuracy: s.accuracyFake) }
    }

    /// The lowest adaptive-L2 coefficient: the initial λ / 1000. Without a floor, λ ÷ 1.5 per
    /// step underflows to exactly 0 within a few hundred steps of G catching up, and 0 × 1.5
    /// never rises again; from the floor, λ is back at its initial value within 18 raises.
    public var l2Minimum: Float { config.l2Initial / 1000 }

    /// Raises λ while D is far ahead (rejects nearly every fake), lowers it once G catches up,
    /// within [``l2Minimum``, `l2Maximum`]. (A λ of 0 from an older checkpoint rises from the floor.)
    func adaptL2(fakeAccuracy: Float) {
        if fakeAccuracy > config.l2High { l2Lambda = min(max(l2Lambda, l2Minimum) * config.l2Factor, config.l2Maximum) }
        else if fakeAccuracy < config.l2Low { l2Lambda = max(l2Lambda / config.l2Factor, l2Minimum) }
    }

    private func updateEMA() {
        guard let ema else { return }
        let decay = config.emaDecay
        for (e, p) in zip(ema.generator.parameters, model.generator.parameters) {
            e.value = Tensor.combine(e.value, p.value, op: "EMA") { decay * $0 + (1 - decay) * $1 }
        }
        for (e, b) in zip(ema.generator.namedBuffers(), model.generator.namedBuffers()) { e.buffer.value = b.buffer.value }
    }
}

/// Mean of σ(logits), without materialising σ (no allocation per step).
func meanSigmoid(_ logits: Tensor) -> Float { logits.meanAll { 1 / (1 + Foundation.exp(-$0)) } }

/// `√(Σ over all tensors of Σ x²)`, the global gradient norm.
func norm(_ tensors: [Tensor]) -> Float {
    Float(tensors.reduce(0.0) { $0 + $1.sumOfSquares() }.squareRoot())
}

extension Int {
    func asFraction(of total: Int) -> Float { total == 0 ? 0 : Float(self) / Float(total) }
}
