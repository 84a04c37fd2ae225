import Foundation

/// A trained generator loaded from a run folder, for `gan sample`, `gan interpolate` and `gan evaluate`.
public final class TrainedGenerator {
    public let config: TrainingConfig
    public let model: GANModel
    public let checkpointPath: String
    public let step: Int
    /// The shape of one sample (`[C, H, W]` for images, `[2]` for 2-D data).
    public let sampleShape: [Int]
    /// Whether the samples are images (else 2-D points, kept in the data's own coordinates).
    public var makesImages: Bool { sampleShape.count == 3 }

    /// The most bytes of samples one command generates (4 GiB, a million MNIST samples and more).
    public static let maximumSampleBytes = 4 << 30

    /// Loads `RUN/checkpoints/best.safetensors` (`best`) or the newest valid step checkpoint
    /// (`latest`); the EMA weights are used when the run kept them.
    public init(run folder: String, checkpoint which: String = "best") throws {
        let configPath = folder + "/config.json"
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw RunError(path: folder, problem: "no config.json: not a SwiftGAN run folder")
        }
        do { config = try JSONDecoder().decode(TrainingConfig.self, from: Data(contentsOf: URL(fileURLWithPath: configPath))) } catch {
            throw RunError(path: configPath, problem: "cannot be read as a training configuration (is \(folder) a SwiftGAN run folder?): \(error)")
        }
        let directory = folder + "/checkpoints"
        let loaded: (path: String, tensors: [String: Tensor], state: CheckpointState)
        switch which {
        case "best":
            let path = directory + "/best.safetensors"
            let c = try Checkpoint.read(path)
            loaded = (path, c.tensors, c.state)
        case "latest":
            guard let c = Checkpoint.latestValid(in: directory) else { throw RunError(path: directory, problem: "holds no valid checkpoint") }
            loaded = c
        default:
            throw ConfigError(field: "--checkpoint", problem: "expected best or latest, got '\(which)'")
        }
        checkpointPath = loaded.path
        step = loaded.state.step
        sampleShape = loaded.state.sampleShape
        let shape = loaded.tensors.keys.contains { $0.hasPrefix("ema.") } ? "ema." : "generator."
        model = Trainer.makeModel(config, sampleShape: loaded.state.sampleShape, classCount: loaded.state.classCount,
                                  rng: RandomGenerator(seed: 0))
        let weights = Dictionary(uniqueKeysWithValues: loaded.tensors.filter { $0.key.hasPrefix(shape) }.map { (String($0.key.dropFirst(shape.count)), $0.value) })
        do { try model.generator.load(stateDict: weights, source: loaded.path) } catch {
            throw CheckpointError(file: loaded.path, problem: "\(error)")
        }
        model.generator.eval()
    }

    /// Throws unless `count` samples are at least one and fit ``maximumSampleBytes`` as Float32;
    /// `flag` names the option that asked for them.
    public func checkSampleCount(_ count: Int, flag: String) throws {
        guard count >= 1 else { throw ConfigError(field: flag, problem: "must be positive, got \(count)") }
        let perSample = sampleShape.reduce(4, *)
        let (bytes, overflow) = count.multipliedReportingOverflow(by: perSample)
        guard !overflow, bytes <= Self.maximumSampleBytes else {
            throw ConfigError(field: flag, problem: "\(count) samples of \(sampleShape) floats would take more than \(Self.maximumSampleBytes >> 30) GiB; at most \(Self.maximumSampleBytes / perSample)")
        }
    }

    public func noise(_ count: Int, rng: RandomGenerator) -> Tensor {
        config.sampleNoise(count, shape: model.latentShape, rng: rng)
    }

    /// Samples in [0, 1] from noise `z` (and labels for conditional models), in batches.
    public func generate(z: Tensor, labels: [Int]?, batchSize: Int = 500) -> Tensor {
        let x = model.generate(z, labels: labels, batchSize: batchSize)
        return makesImages ? model.pixelRange.toUnit(x) : x
    }
}
