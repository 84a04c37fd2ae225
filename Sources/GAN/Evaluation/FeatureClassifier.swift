import Foundation

/// The MNIST classifier whose penultimate features and softmax drive FID, KID, precision/recall,
/// density/coverage, the Inception Score and class coverage (the TTUR maintainers' advice for
/// MNIST: a domain classifier, not Inception; numbers are comparable only under the same weights,
/// which is why every result carries ``weightsHash``).
///
/// Architecture (inputs `[N, 1, 28, 28]` in [0, 1], standardised inside):
/// `Conv 1→32 k3 p1 · ReLU · Conv 32→64 k4 s2 p1 · ReLU · Conv 64→64 k4 s2 p1 · ReLU · Flatten ·
///  Linear 3136→128 · ReLU` (the 128-d features) `· Dropout 0.3 · Linear 128→10` (the logits).
public final class FeatureClassifier: Module {
    let body: Sequential
    let dropout: Dropout
    let head: Linear
    public static let featureDimension = 128

    public init(rng: RandomGenerator) {
        body = Sequential {
            Conv2d(1, 32, kernelSize: 3, padding: 1, rng: rng); ReLU()
            Conv2d(32, 64, kernelSize: 4, stride: 2, padding: 1, rng: rng); ReLU()
            Conv2d(64, 64, kernelSize: 4, stride: 2, padding: 1, rng: rng); ReLU()
            Flatten()
            Linear(64 * 7 * 7, FeatureClassifier.featureDimension, rng: rng); ReLU()
        }
        dropout = Dropout(probability: 0.3, rng: rng)
        head = Linear(FeatureClassifier.featureDimension, 10, rng: rng)
    }

    /// MNIST standardisation (training-pixel mean 0.1307, std 0.3081).
    func standardized(_ x: Variable) -> Variable { (x - 0.1307) * (1 / 0.3081) }

    /// Penultimate features `[N, 128]` and logits `[N, 10]`.
    public func callAsFunction(_ x: Variable) -> (features: Variable, logits: Variable) {
        let f = body(standardized(x))
        return (f, head(dropout(f)))
    }

    /// FNV-1a 64-bit hash of the weights (names and bytes in name order), as 16 hex digits.
    public var weightsHash: String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ bytes: UnsafeRawBufferPointer) { for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 } }
        let state = stateDict().filter { !$0.key.contains("num_batches") }
        for name in state.keys.sorted() {
            Array(name.utf8).withUnsafeBytes(mix)
            state[name]!.withUnsafeBufferPointer { mix(UnsafeRawBufferPointer($0)) }
        }
        return String(format: "%016llx", h)
    }

    /// Features and class probabilities for images in [0, 1], in evaluation mode, in batches.
    public func embed(_ images: Tensor, batchSize: Int = 1000) -> (features: Tensor, probabilities: Tensor) {
        eval()
        var features = [Tensor](), probabilities = [Tensor]()
        withoutGradients {
            for start in stride(from: 0, to: images.shape[0], by: batchSize) {
                let n = min(batchSize, images.shape[0] - start)
                let (f, logits) = self(Variable(images.slice(axis: 0, start: start, length: n)))
                features.append(f.value)
                probabilities.append(logits.logSoftmax(axis: 1).exp().value)
            }
        }
        return (Tensor.concatenate(features, axis: 0), Tensor.concatenate(probabilities, axis: 0))
    }

    /// Test-set accuracy.
    public func accuracy(on set: LabeledImages) -> Double {
        let (_, p) = embed(set.images)
        let predicted = ClassDistribution.predictedLabels(p)
        return Double(zip(predicted, set.labels).filter { $0 == $1 }.count) / Double(set.count)
    }

    /// Trains on MNIST's 60 000 training images (Adam 1e-3 decayed linearly to 0, batch 64).
    public static func train(train: LabeledImages, epochs: Int, seed: UInt64, log: (String) -> Void) -> FeatureClassifier {
        let rng = RandomGenerator(seed: seed)
        let model = FeatureClassifier(rng: rng)
        let optimizer = Adam(model.namedParameters(), learningRate: 1e-3)
        let batch = 64, stepsPerEpoch = train.count / batch
        let schedule = LinearDecaySchedule(initial: 1e-3, final: 0, start: 0, end: epochs * stepsPerEpoch)
        model.train()
        for epoch in 0..<epochs {
            let order = rng.permutation(train.count)
            var lossSum: Float = 0
            for s in 0..<stepsPerEpoch {
                let idx = Array(order[(s * batch)..<((s + 1) * batch)])
                optimizer.learningRate = schedule.value(atStep: optimizer.stepCount)
                let loss = crossEntropy(logits: model(Variable(train.batch(idx))).logits, labels: idx.map { train.labels[$0] })
                lossSum += loss.value.item
                optimizer.minimize(loss)
                if s % 100 == 0 { log(String(format: "classifier epoch %d step %d/%d loss %.4f", epoch + 1, s, stepsPerEpoch, lossSum / Float(s + 1))) }
            }
        }
        model.eval()
        return model
    }

    /// Saves the weights with their hash and test accuracy in the metadata.
    public func save(to path: String, testAccuracy: Double) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try SafeTensors.write(stateDict(), metadata: [
            "swiftgan.classifier": "mnist-cnn-v1", "swiftgan.weights_hash": weightsHash,
            "swiftgan.test_accuracy": String(testAccuracy),
        ], to: path)
    }

    /// Loads weights saved by ``save(to:testAccuracy:)``, checking the stored hash.
    public static func load(path: String) throws -> (classifier: FeatureClassifier, testAccuracy: Double) {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        guard metadata["swiftgan.classifier"] == "mnist-cnn-v1" else {
            throw CheckpointError(file: path, problem: "not a SwiftGAN feature classifier (metadata 'swiftgan.classifier' should be mnist-cnn-v1)")
        }
        let model = FeatureClassifier(rng: RandomGenerator(seed: 0))
        do { try model.load(stateDict: tensors, source: path) } catch { throw CheckpointError(file: path, problem: "\(error)") }
        model.eval()
        guard model.weightsHash == metadata["swiftgan.weights_hash"] else {
            throw CheckpointError(file: path, problem: "weights hash \(model.weightsHash) differs from the stored \(metadata["swiftgan.weights_hash"] ?? "none"): the file is corrupt")
        }
        return (model, Double(metadata["swiftgan.test_accuracy"] ?? "") ?? .nan)
    }

    /// `~/.cache/swiftgan/classifiers/mnist-cnn.safetensors` (or under $GAN_DATA_DIR/../classifiers).
    public static var defaultPath: String {
        (DatasetDownloader.defaultDataDirectory() as NSString).deletingLastPathComponent + "/classifiers/mnist-cnn.safetensors"
    }
}
