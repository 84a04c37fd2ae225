import Foundation

/// Every setting of a training run, resolved (presets plus the user's flags) and written to the
/// run folder's `config.json`, so a run can be read, repeated and resumed.
public struct TrainingConfig: Codable, Equatable, Sendable {
    public enum Model: String, Codable, CaseIterable, Sendable {
        case mlp, dcgan, cgan, cdcgan, toy
        /// Sigmoid outputs in [0, 1] for the MLP models, tanh in [−1, 1] for the DCGANs.
        public var pixelRange: PixelRange { self == .dcgan || self == .cdcgan ? .symmetric : .unit }
    }
    public enum Update: String, Codable, CaseIterable, Sendable { case alternating, simultaneous }
    public enum OptimizerKind: String, Codable, CaseIterable, Sendable { case adam, sgd }
    public enum LearningRateDecay: String, Codable, CaseIterable, Sendable { case none, exponential, linear }
    public enum Alarm: String, Codable, CaseIterable, Sendable {
        case dWins = "d-wins", coinFlip = "coin-flip", modeCollapse = "mode-collapse", nonFinite = "non-finite"
    }
    public enum DivergencePolicy: String, Codable, CaseIterable, Sendable { case rollback, stop }

    public var version = SwiftGANVersion.string
    public var dataset = "mnist"
    public var dataDirectory: String?
    /// Use only the first N training examples (the 2014 GAN trains on the first 50 000).
    public var trainLimit: Int?
    public var model = Model.dcgan
    public var imageSize: Int?
    /// Channels of folder datasets: 1 (grey, the default, also for runs saved before the option)
    /// or 3 (RGB). MNIST-like sets are grey and CIFAR-10 RGB by their files.
    public var imageChannels: Int?
    /// Channel width multiplier of the DCGAN stacks (64 as in the papers); hidden units of the toy MLPs.
    public var width = 64
    public var steps: Int?
    public var epochs: Int?
    public var batchSize = 64
    public var seed: UInt64 = 1

    public var loss = GANLoss.nonsaturating
    /// Scale of D's loss: 1 as PyTorch's example, 0.5 as the 2014 code (`0.5·(CE real + CE fake)`).
    public var dLossScale: Float = 1
    public var update = Update.alternating
    public var dSteps = 1
    public var gSteps = 1

    public var optimizer = OptimizerKind.adam
    public var lrG: Float = 2e-4
    public var lrD: Float = 2e-4
    public var beta1G = 0.5, beta2G = 0.999
    public var beta1D = 0.5, beta2D = 0.999
    /// SGD momentum, raised linearly from `momentum` to `finalMomentum` between epoch 1 and
    /// `momentumSaturateEpoch` (pylearn2's MomentumAdjustor).
    public var momentum: Float = 0.5
    public var finalMomentum: Float = 0.5
    public var momentumSaturateEpoch = 250
    public var lrDecay = LearningRateDecay.none
    /// Exponential: lr_t = max(lr / factorᵗ, lrMinimum). Linear: from `lrDecayStart` to 0 at the end.
    public var lrDecayFactor: Double = 1.000004
    public var lrMinimum: Float = 1e-6
    public var lrDecayStart = 0

    public var noise = NoiseDistribution.normal
    public var noiseDimension = 100
    public var noiseLow: Float = -1
    public var noiseHigh: Float = 1

    /// Real target for D (one-sided label smoothing: 0.9; 1 = none).
    public var realLabel: Float = 1
    /// Probability of flipping each D target (real ↔ fake).
    public var labelFlip: Float = 0
    /// Std of Gaussian instance noise added to D's inputs, annealed linearly to 0 over `instanceNoiseSteps`.
    public var instanceNoise: Float = 0
    public var instanceNoiseSteps = 10_000
    /// Dropout probability in D (for models without built-in dropout).
    public var dDropout: Float = 0
    /// Adaptive L2 on D's weights: λ·θ added to D's gradients, λ raised ×`l2Factor` while D's fake
    /// accuracy exceeds `l2High` and lowered while it is below `l2Low`, never below `l2Initial` / 1000
    /// (``Trainer/l2Minimum``) nor above `l2Maximum`.
    public var adaptiveL2 = false
    public var l2Initial: Float = 1e-4
    public var l2Factor: Float = 1.5
    public var l2High: Float = 0.95
    public var l2Low: Float = 0.7
    public var l2Maximum: Float = 1
    /// Exponential moving average of G's weights for sampling (0 = off; e.g. 0.999).
    public var emaDecay: Float = 0
    /// Weight clipping for the Wasserstein loss.
    public var clip: Float = 0.01

    public var logEvery = 50
    public var checkpointEvery = 500
    public var keepCheckpoints = 3
    public var stopOn: [Alarm] = []
    public var onDivergence = DivergencePolicy.rollback
    /// Alarm patience, in logging intervals.
    public var alarmPatience = 10

    public init() {}

    /// The published recipe for a model (the user's flags are applied on top).
    public static func preset(_ model: Model) -> TrainingConfig {
        var c = TrainingConfig()
        c.model = model
        switch model {
        case .mlp, .cgan:
            // Goodfellow et al. 2014 mnist.yaml / Mirza & Osindero 2014 (protocols.md §1, §5).
            c.trainLimit = 50_000
            c.batchSize = 100
            c.optimizer = .sgd
            c.lrG = 0.1; c.lrD = 0.1
            c.momentum = 0.5; c.finalMomentum = 0.7; c.momentumSaturateEpoch = 250
            c.lrDecay = .exponential
            c.lrDecayFactor = model == .mlp ? 1.000004 : 1.00004
            c.lrMinimum = 1e-6
            c.update = .simultaneous
            c.dLossScale = 0.5
            // U(±√3), zero mean and unit variance, for both: mnist.yaml's noise. Mirza &
            // Osindero's text gives the unit hypercube [0, 1]^100, with which the conditional G
            // ignores z (a deliberate deviation; README, "Results").
            c.noise = .uniform
            c.noiseLow = -Float(3).squareRoot(); c.noiseHigh = Float(3).squareRoot()
            c.epochs = 100
        case .dcgan, .cdcgan:
            // Radford et al. 2015 with pytorch/examples' loop (protocols.md §2).
            c.batchSize = 64
            c.epochs = 5
        case .toy:
            // Chosen by a sweep on ring8 (README): the hinge loss covers all 8 modes with most samples
            // within 3σ after 3000 steps, where the logistic losses leave them smeared along the ring.
            c.dataset = "ring8"
            c.width = 128
            c.batchSize = 256
            c.loss = .hinge
            c.lrG = 1e-3; c.lrD = 1e-3
            c.noiseDimension = 8
            c.steps = 3000
            c.logEvery = 100
        }
        return c
    }

    /// Contradictions and impossible values, reported before anything runs.
    public func validate() throws {
        func bad(_ field: String, _ problem: String) -> ConfigError { ConfigError(field: field, problem: problem) }
        if steps == nil && epochs == nil { throw bad("--steps/--epochs", "give one of them") }
        if steps != nil && epochs != nil { throw bad("--steps/--epochs", "give one of them, not both (\(steps!) steps, \(epochs!) epochs)") }
        if let s = steps, s <= 0 { throw bad("--steps", "must be positive, got \(s)") }
        if let e = epochs, e <= 0 { throw bad("--epochs", "must be positive, got \(e)") }
        if let n = trainLimit, n < 1 { throw bad("--train-limit", "must be a positive number of training examples, got \(n)") }
        if let size = imageSize {
            if size < 1 { throw bad("--image-size", "must be positive, got \(size)") }
            if (model == .dcgan || model == .cdcgan) && ![28, 32, 64].contains(size) {
                throw bad("--image-size", "\(model.rawValue) builds 28, 32 or 64-pixel images, got \(size)")
            }
            // Other datasets set the model's size themselves; the flag would be recorded and ignored.
            if datasetKind != "folder" {
                throw bad("--image-size", "applies to folder datasets (images are resized to it); \(dataset) has its own size (MNIST and Fashion-MNIST 28, CIFAR-10 32)")
            }
        }
        if batchSize < 2 { throw bad("--batch-size", "must be at least 2 (batch norm needs two samples), got \(batchSize)") }
        if dSteps < 1 || gSteps < 1 { throw bad("--d-steps/--g-steps", "must be at least 1") }
        if update == .simultaneous && (dSteps != 1 || gSteps != 1) {
            throw bad("--update simultaneous", "updates D and G once from the same batch; it contradicts --d-steps \(dSteps) --g-steps \(gSteps)")
        }
        if !(0 < realLabel && realLabel <= 1) { throw bad("--real-label", "must be in (0, 1], got \(realLabel)") }
        if realLabel != 1 && !loss.isLogistic { throw bad("--real-label", "label smoothing applies to the minimax and nonsaturating losses, not \(loss.rawValue)") }
        if labelFlip != 0 && !loss.isLogistic { throw bad("--label-flip", "label flipping applies to the minimax and nonsaturating losses, not \(loss.rawValue)") }
        if !(0 <= labelFlip && labelFlip < 0.5) { throw bad("--label-flip", "must be in [0, 0.5), got \(labelFlip)") }
        // Written so that NaN fails each test (NaN < 0 is false).
        if !(instanceNoise >= 0 && instanceNoise.isFinite) { throw bad("--instance-noise", "must be a finite number ≥ 0, got \(instanceNoise)") }
        if instanceNoiseSteps < 1 { throw bad("--instance-noise-steps", "must be positive, got \(instanceNoiseSteps)") }
        if !(0 <= dDropout && dDropout < 1) { throw bad("--d-dropout", "must be in [0, 1)") }
        if dDropout > 0 && (model == .mlp || model == .cgan) {
            throw bad("--d-dropout", "\(model.rawValue)'s D has the dropout of its paper's recipe built in; the flag applies to dcgan, cdcgan and toy")
        }
        if let c = imageChannels {
            if datasetKind != "folder" { throw bad("--channels", "applies to folder datasets; \(dataset) has its own channels") }
            if c != 1 && c != 3 { throw bad("--channels", "1 (grey) or 3 (RGB) expected, got \(c)") }
        }
        if !(0 <= emaDecay && emaDecay < 1) { throw bad("--ema", "must be in [0, 1)") }
        for (flag, lr) in [("--lr-g", lrG), ("--lr-d", lrD), ("--lr-min", lrMinimum)] where !(lr >= 0 && lr.isFinite) {
            throw bad(flag, "must be a finite number ≥ 0, got \(lr)")
        }
        for (flag, beta) in [("--beta1-g", beta1G), ("--beta2-g", beta2G), ("--beta1-d", beta1D), ("--beta2-d", beta2D)] where !(0 <= beta && beta < 1) {
            throw bad(flag, "must be in [0, 1) (Adam's moment decay), got \(beta)")
        }
        if !(lrDecayFactor >= 1 && lrDecayFactor.isFinite) {
            throw bad("--lr-decay-factor", "must be a finite number ≥ 1 (the rate is divided by it every step), got \(lrDecayFactor)")
        }
        if !(1...65_536).contains(noiseDimension) { throw bad("--noise-dim", "must be in 1...65536, got \(noiseDimension)") }
        if !(1...4_096).contains(width) { throw bad("--width", "must be in 1...4096 (DCGAN's base channel count, 64 in the paper), got \(width)") }
        if !(noiseLow.isFinite && noiseHigh.isFinite) { throw bad("--noise-low/--noise-high", "must be finite, got \(noiseLow) and \(noiseHigh)") }
        if !(clip > 0 && clip.isFinite) { throw bad("--clip", "must be a finite number > 0, got \(clip)") }
        if noise == .uniform && !(noiseLow < noiseHigh) { throw bad("--noise-low/--noise-high", "need low < high, got \(noiseLow) and \(noiseHigh)") }
        if (model == .cgan || model == .cdcgan) && ["ring8", "grid25", "folder"].contains(datasetKind) {
            throw bad("--model \(model.rawValue)", "a conditional model needs a labelled dataset (mnist, fashion-mnist, cifar10), not \(dataset)")
        }
        if model == .toy && !["ring8", "grid25"].contains(dataset) { throw bad("--model toy", "trains on 2-D data (ring8, grid25), not \(dataset)") }
        if ["ring8", "grid25"].contains(dataset) && model != .toy { throw bad("--dataset \(dataset)", "2-D data needs --model toy") }
        if adaptiveL2 && !(l2Initial > 0 && l2Initial <= l2Maximum && l2Factor > 1) {
            throw bad("--adaptive-l2", "needs 0 < l2Initial ≤ l2Maximum and l2Factor > 1, got \(l2Initial), \(l2Maximum), \(l2Factor)")
        }
        if logEvery < 1 || checkpointEvery < 1 || keepCheckpoints < 1 { throw bad("--log-every/--checkpoint-every/--keep", "must be positive") }
    }

    /// "mnist", "fashion-mnist", "cifar10", "ring8", "grid25" or "folder" (for `folder:PATH`).
    public var datasetKind: String { dataset.hasPrefix("folder:") ? "folder" : dataset }
}

extension TrainingConfig {
    /// `count` noise vectors `[count] + shape` from the configured distribution.
    public func sampleNoise(_ count: Int, shape: [Int], rng: RandomGenerator) -> Tensor {
        noise.sample(count: count, shape: shape, low: noiseLow, high: noiseHigh, rng: rng)
    }
}

/// A setting that cannot be used, named as on the command line.
public struct ConfigError: Error, CustomStringConvertible {
    public let field: String
    public let problem: String
    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }
    public var description: String { "\(field): \(problem)" }
}

public enum SwiftGANVersion {
    public static let string = "0.1.0"
}

extension JSONEncoder {
    /// The encoder of the files people read (config.json, evaluation.json, --print-config):
    /// indented, keys sorted, and `/` in paths left as it is.
    public static func humanReadable() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
