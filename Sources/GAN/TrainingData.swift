import Foundation
@_exported import GANData
@_exported import GANMetrics

/// The training set held in memory, with the epoch order and the position in it (the data cursor
/// that checkpoints save, so a resumed run sees exactly the batches it would have seen).
public final class TrainingData {
    /// `[N] + sampleShape`, already in the model's pixel range.
    public let samples: Tensor
    public let labels: [Int]?
    public let classCount: Int
    /// Row `validation` images held out for the quality monitor (in [0, 1]); empty for 2-D data.
    public let monitorSet: Tensor?
    public let mixture: GaussianMixture2D?
    /// The current epoch's order and the next position in it.
    public internal(set) var permutation: [Int] = []
    public internal(set) var cursor = 0
    /// Completed passes over the data.
    public internal(set) var epoch = 0

    public var count: Int { samples.shape[0] }
    public var sampleShape: [Int] { Array(samples.shape.dropFirst()) }

    init(samples: Tensor, labels: [Int]?, classCount: Int, monitorSet: Tensor?, mixture: GaussianMixture2D?) {
        self.samples = samples
        self.labels = labels
        self.classCount = classCount
        self.monitorSet = monitorSet
        self.mixture = mixture
    }

    /// Loads the configured dataset and maps it to `range`. Errors name the file and the problem.
    public static func load(_ config: TrainingConfig, range: PixelRange) throws -> TrainingData {
        // Loading frees one-off buffers as large as the dataset (the [0, 1] copy of the images);
        // hand them back to the system instead of keeping them in the tensor-buffer cache.
        defer { BufferPool.releaseCachedBuffers() }
        let directory = config.dataDirectory ?? DatasetDownloader.defaultDataDirectory()
        switch config.datasetKind {
        case "ring8", "grid25":
            let mixture = config.dataset == "ring8" ? GaussianMixture2D.ring8 : GaussianMixture2D.grid25
            // A fixed training set drawn from its own stream, so the data never depends on training randomness.
            let points = mixture.sample(count: config.trainLimit ?? 50_000, rng: RandomGenerator(seed: config.seed ^ 0x5EED_DA7A))
            return TrainingData(samples: points, labels: nil, classCount: 0, monitorSet: nil, mixture: mixture)
        default:
            let set: LabeledImages
            var monitor: LabeledImages?
            switch config.datasetKind {
            case "mnist", "fashion-mnist":
                let variant: MNISTVariant = config.dataset == "mnist" ? .mnist : .fashionMNIST
                let dir = try resolveDirectory(directory, variant.dataset)
                set = try MNIST.load(directory: dir, split: .train, variant: variant)
            case "cifar10":
                set = try CIFAR10.load(directory: directory, split: .train)
            case "folder":
                let path = String(config.dataset.dropFirst("folder:".count))
                set = try ImageFolder.load(directory: path, channels: 1, size: config.imageSize ?? 28)
            default:
                throw ConfigError(field: "--dataset", problem: "unknown dataset '\(config.dataset)'; expected mnist, fashion-mnist, cifar10, ring8, grid25 or folder:PATH")
            }
            let n = min(config.trainLimit ?? set.count, set.count)
            // The 2014 protocol's validation images are train[50000..<60000]; the monitor uses 500 of
            // the images after the training limit when there are any, else the last 500.
            let monitorStart = n < set.count ? n : max(0, set.count - 500)
            monitor = LabeledImages(images: set.images.slice(axis: 0, start: monitorStart, length: min(500, set.count - monitorStart)),
                                    labels: Array(set.labels[monitorStart..<min(monitorStart + 500, set.count)]), classCount: set.classCount)
            let labels = Array(set.labels.prefix(n)), classCount = set.classCount
            // The whole set is mapped in place (`set` consumed, so its images are referenced once):
            // `x * 2 - 1` beside the [0, 1] images made three copies, and loading MNIST peaked at
            // 572 MB resident; in place it peaks at 255 MB.
            let images = n == set.count ? (consume set).images : set.images.slice(axis: 0, start: 0, length: n)
            return TrainingData(samples: range.fromUnit(consume images), labels: labels,
                                classCount: classCount, monitorSet: monitor?.images, mixture: nil)
        }
    }

    /// The folder holding a dataset's files: `directory` itself when they are there, else
    /// `directory/<dataset folder>`, downloading into it when missing (offline when present).
    static func resolveDirectory(_ directory: String, _ dataset: DownloadableDataset) throws -> String {
        if FileManager.default.fileExists(atPath: directory + "/" + dataset.files[0].name) { return directory }
        return try DatasetDownloader(cacheDirectory: directory).prepare(dataset)
    }

    /// Mean of every pixel position over the training set, in [0, 1] (for the sigmoid output bias).
    public func meanSample(range: PixelRange) -> Tensor {
        range.toUnit(samples.sum(axes: [0]) / Float(count))
    }

    /// The next `size` examples; a new shuffled epoch starts (from `rng`) when fewer than `size`
    /// remain (the incomplete remainder is dropped, as `drop_last`).
    public func nextBatch(_ size: Int, rng: RandomGenerator) -> (samples: Tensor, labels: [Int]?) {
        precondition(size <= count, "TrainingData: batch size \(size) exceeds the \(count) training examples")
        if permutation.isEmpty || cursor + size > permutation.count {
            if !permutation.isEmpty { epoch += 1 }
            permutation = rng.permutation(count)
            cursor = 0
        }
        let indices = Array(permutation[cursor..<(cursor + size)])
        cursor += size
        return (gather(indices), labels.map { l in indices.map { l[$0] } })
    }

    /// Examples at `indices`, in order.
    public func gather(_ indices: [Int]) -> Tensor {
        let stride = sampleShape.reduce(1, *)
        var out = Tensor(uninitializedShape: [indices.count] + sampleShape)
        let src = samples.pointer
        out.withUnsafeMutableBufferPointer { p in
            for (r, i) in indices.enumerated() { (p.baseAddress! + r * stride).update(from: src + i * stride, count: stride) }
        }
        return out
    }

    /// Restores the cursor saved in a checkpoint.
    func restore(permutation: [Int], cursor: Int, epoch: Int) throws {
        guard permutation.isEmpty || (permutation.count == count && cursor <= count) else {
            throw ConfigError(field: "checkpoint data cursor", problem: "saved for \(permutation.count) examples at \(cursor), the dataset has \(count)")
        }
        self.permutation = permutation
        self.cursor = cursor
        self.epoch = epoch
    }

    /// Batches per epoch.
    public func batchesPerEpoch(_ batchSize: Int) -> Int { count / batchSize }
}
