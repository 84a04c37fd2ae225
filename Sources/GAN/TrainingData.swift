import Foundation
@_exported import GANData
@_exported import GANMetrics

/// The training set held in memory, with the epoch order and the position in it (the data cursor
/// that checkpoints save, so a resumed run sees exactly the batches it would have seen).
public final class TrainingData {
    /// The training examples as they are kept.
    enum Examples {
        /// `[N] + sampleShape`, already in the model's pixel range.
        case values(Tensor)
        /// `N · sampleSize` bytes of 8-bit images; byte `b` is the value `valueOfByte[b]` in the
        /// model's pixel range. A quarter of the memory of `values`, mapped batch by batch.
        case pixels([UInt8], valueOfByte: [Float])
    }

    let examples: Examples
    /// Number of training examples N.
    public let count: Int
    /// The shape of one example, e.g. `[1, 28, 28]` or `[2]`.
    public let sampleShape: [Int]
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

    /// Examples `samples: [N] + sampleShape`, in the model's pixel range.
    init(samples: Tensor, labels: [Int]?, classCount: Int, monitorSet: Tensor?, mixture: GaussianMixture2D?) {
        examples = .values(samples)
        count = samples.shape[0]
        sampleShape = Array(samples.shape.dropFirst())
        self.labels = labels
        self.classCount = classCount
        self.monitorSet = monitorSet
        self.mixture = mixture
    }

    /// The first `n` images of `set`, kept as bytes and mapped to `range` batch by batch (exactly
    /// the values ``PixelRange/fromUnit(_:)`` gives their [0, 1] tensor).
    init(pixels set: LabeledPixels, first n: Int, range: PixelRange, monitorSet: Tensor?) {
        require((0...set.count).contains(n), "TrainingData: the first \(n) of \(set.count) images asked for")
        let size = set.imageSize
        let bytes = n == set.count ? set.pixels : Array(set.pixels.prefix(n * size))
        examples = .pixels(bytes, valueOfByte: (0...255).map { range.value(fromUnit: Float($0) / 255) })
        count = n
        sampleShape = set.imageShape
        labels = Array(set.labels.prefix(n))
        classCount = set.classCount
        self.monitorSet = monitorSet
        mixture = nil
    }

    /// Loads the configured dataset and maps it to `range`. Errors name the file and the problem.
    public static func load(_ config: TrainingConfig, range: PixelRange) throws -> TrainingData {
        // Loading frees one-off buffers as large as the dataset (an image folder's [0, 1] copy);
        // hand them back to the system instead of keeping them in the tensor-buffer cache.
        defer { BufferPool.releaseCachedBuffers() }
        let directory = config.dataDirectory ?? DatasetDownloader.defaultDataDirectory()
        switch config.datasetKind {
        case "ring8", "grid25":
            let mixture = config.dataset == "ring8" ? GaussianMixture2D.ring8 : GaussianMixture2D.grid25
            // A fixed training set drawn from its own stream, so the data never depends on training randomness.
            let points = mixture.sample(count: config.trainLimit ?? 50_000, rng: RandomGenerator(seed: config.seed ^ 0x5EED_DA7A))
            return TrainingData(samples: points, labels: nil, classCount: 0, monitorSet: nil, mixture: mixture)
        case "mnist", "fashion-mnist", "cifar10":
            let set: LabeledPixels
            if config.datasetKind == "cifar10" {
                set = try CIFAR10.loadPixels(directory: directory, split: .train)
            } else {
                let variant: MNISTVariant = config.dataset == "mnist" ? .mnist : .fashionMNIST
                set = try MNIST.loadPixels(directory: try DatasetDownloader(cacheDirectory: directory).prepare(variant.dataset), split: .train, variant: variant)
            }
            let n = trainingCount(limit: config.trainLimit, of: set.count)
            return TrainingData(pixels: set, first: n, range: range, monitorSet: set.images(monitorRows(training: n, of: set.count)))
        case "folder":
            let path = String(config.dataset.dropFirst("folder:".count))
            let set = try ImageFolder.load(directory: path, channels: config.imageChannels ?? 1, size: config.imageSize ?? 28)
            let n = trainingCount(limit: config.trainLimit, of: set.count)
            let rows = monitorRows(training: n, of: set.count)
            let monitor = set.images.slice(axis: 0, start: rows.lowerBound, length: rows.count)
            let labels = Array(set.labels.prefix(n)), classCount = set.classCount
            // The whole set is mapped in place (`set` consumed, so its images are referenced once):
            // `x * 2 - 1` beside the [0, 1] images made three copies of the data set at once.
            let images = n == set.count ? (consume set).images : set.images.slice(axis: 0, start: 0, length: n)
            return TrainingData(samples: range.fromUnit(consume images), labels: labels, classCount: classCount,
                                monitorSet: monitor, mixture: nil)
        default:
            throw ConfigError(field: "--dataset", problem: "unknown dataset '\(config.dataset)'; expected mnist, fashion-mnist, cifar10, ring8, grid25 or folder:PATH")
        }
    }

    /// Training examples of a set of `count`: the first `--train-limit` (at most all), else all but
    /// those the quality monitor holds out (the last 500, or the last tenth of a set under 5,000),
    /// so the best checkpoint is judged on images training never saw.
    static func trainingCount(limit: Int?, of count: Int) -> Int {
        if let limit { return min(limit, count) }
        return count - min(500, count / 10)
    }

    /// The images the quality monitor holds out: 500 after the first `n` (the 2014 protocol's
    /// validation images are train[50000..<60000]) when there are any. Only a `--train-limit` of
    /// the whole set leaves none; then it reads the last 500 training images.
    static func monitorRows(training n: Int, of count: Int) -> Range<Int> {
        let start = n < count ? n : max(0, count - 500)
        return start..<min(start + 500, count)
    }

    /// Mean of every pixel position over the training set, in [0, 1] (for the sigmoid output
    /// bias); `range` is the examples' range. The same sums for either kind of examples: per
    /// position, in Double, examples in order.
    public func meanSample(range: PixelRange) -> Tensor {
        let sums: Tensor
        switch examples {
        case .values(let samples):
            sums = samples.sum(axes: [0])
        case .pixels(let bytes, let valueOfByte):
            let size = sampleShape.reduce(1, *), n = count
            var out = Tensor(uninitializedShape: sampleShape)
            out.withUnsafeMutableBufferPointer { dst in
                let dst = dst.baseAddress!
                bytes.withUnsafeBufferPointer { src in
                    valueOfByte.withUnsafeBufferPointer { value in
                        Parallel.forRanges(size, costPerElement: n) { positions in
                            // sums[k]: position positions.lowerBound + k, rows added in order.
                            withUnsafeTemporaryAllocation(of: Double.self, capacity: positions.count) { sums in
                                sums.update(repeating: 0)
                                for i in 0..<n {
                                    let row = src.baseAddress! + i * size + positions.lowerBound
                                    for k in 0..<positions.count { sums[k] += Double(value[Int(row[k])]) }
                                }
                                for k in 0..<positions.count { dst[positions.lowerBound + k] = Float(sums[k]) }
                            }
                        }
                    }
                }
            }
            sums = out
        }
        return range.toUnit(sums / Float(count))
    }

    /// The next `size` examples; a new shuffled epoch starts (from `rng`) when fewer than `size`
    /// remain (the incomplete remainder is dropped, as `drop_last`).
    public func nextBatch(_ size: Int, rng: RandomGenerator) -> (samples: Tensor, labels: [Int]?) {
        require(size <= count, "TrainingData: batch size \(size) exceeds the \(count) training examples")
        if permutation.isEmpty || cursor + size > permutation.count {
            if !permutation.isEmpty { epoch += 1 }
            permutation = rng.permutation(count)
            cursor = 0
        }
        let indices = Array(permutation[cursor..<(cursor + size)])
        cursor += size
        return (gather(indices), labels.map { l in indices.map { l[$0] } })
    }

    /// Examples at `indices`, in order, in the model's pixel range.
    public func gather(_ indices: [Int]) -> Tensor {
        let stride = sampleShape.reduce(1, *)
        var out = Tensor(uninitializedShape: [indices.count] + sampleShape)
        out.withUnsafeMutableBufferPointer { p in
            let p = p.baseAddress!
            switch examples {
            case .values(let samples):
                let src = samples.pointer
                for (r, i) in indices.enumerated() { (p + r * stride).update(from: src + i * stride, count: stride) }
            case .pixels(let bytes, let valueOfByte):
                bytes.withUnsafeBufferPointer { src in
                    valueOfByte.withUnsafeBufferPointer { value in
                        // Row r of the batch is example i: its bytes looked up one by one.
                        for (r, i) in indices.enumerated() {
                            for j in 0..<stride { p[r * stride + j] = value[Int(src[i * stride + j])] }
                        }
                    }
                }
            }
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
