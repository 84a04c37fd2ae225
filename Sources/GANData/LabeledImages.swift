import GANTensor

/// Which part of a data set to load.
public enum DatasetSplit: String, CaseIterable, Sendable {
    /// The training examples (60 000 for MNIST, 50 000 for CIFAR-10).
    case train
    /// The held-out test examples (10 000 for MNIST and CIFAR-10).
    case test
}

/// A set of images with one integer class label each.
public struct LabeledImages {
    /// The images, shape [N, C, H, W], values in [0, 1] (byte / 255 for 8-bit sources).
    public let images: Tensor
    /// One label per image, each in `0 ..< classCount`.
    public let labels: [Int]
    /// Number of classes (10 for MNIST, Fashion-MNIST and CIFAR-10; 1 for an unlabelled folder).
    public let classCount: Int

    /// Bundles images and labels; `images` must be rank 4 with `labels.count` images.
    public init(images: Tensor, labels: [Int], classCount: Int) {
        require(images.rank == 4, "LabeledImages: images of shape [N, C, H, W] expected, got \(images.shape)")
        require(
            images.shape[0] == labels.count,
            "LabeledImages: \(images.shape[0]) images but \(labels.count) labels")
        require(classCount >= 1, "LabeledImages: classCount must be at least 1, got \(classCount)")
        self.images = images
        self.labels = labels
        self.classCount = classCount
    }

    /// Number of examples N.
    public var count: Int { labels.count }

    /// The shape of one image, [C, H, W].
    public var imageShape: [Int] { Array(images.shape.dropFirst()) }

    /// The images at `indices` (in that order) as one batch [indices.count, C, H, W], e.g. a
    /// minibatch drawn from `rng.permutation(count)`.
    public func batch(_ indices: [Int]) -> Tensor {
        let per = images.count / max(count, 1)
        var out = Tensor(uninitializedShape: [indices.count] + imageShape)
        out.withUnsafeMutableBufferPointer { dst in
            let src = images.pointer
            // Row b of the batch is image indices[b] of the set.
            for (b, i) in indices.enumerated() {
                require(i >= 0 && i < count, "LabeledImages.batch: index \(i) out of range 0..<\(count)")
                (dst.baseAddress! + b * per).update(from: src + i * per, count: per)
            }
        }
        return out
    }

    /// The labels at `indices`.
    public func batchLabels(_ indices: [Int]) -> [Int] { indices.map { labels[$0] } }
}

/// A set of 8-bit images with one integer class label each, as MNIST's and CIFAR-10's files store
/// them: a quarter of the memory of the same set as ``LabeledImages``, converted to Float a range
/// of images at a time.
public struct LabeledPixels {
    /// The images' bytes laid out [N, C, H, W]; byte `b` stands for the value `b / 255`.
    public let pixels: [UInt8]
    /// The shape of one image, [C, H, W].
    public let imageShape: [Int]
    /// One label per image, each in `0 ..< classCount`.
    public let labels: [Int]
    public let classCount: Int

    /// Bundles pixels and labels; `pixels` must hold `labels.count` images of `imageShape`.
    public init(pixels: [UInt8], imageShape: [Int], labels: [Int], classCount: Int) {
        require(imageShape.count == 3, "LabeledPixels: an image shape [C, H, W] expected, got \(imageShape)")
        require(pixels.count == labels.count * imageShape.reduce(1, *),
                     "LabeledPixels: \(pixels.count) bytes for \(labels.count) images of shape \(imageShape)")
        require(classCount >= 1, "LabeledPixels: classCount must be at least 1, got \(classCount)")
        self.pixels = pixels
        self.imageShape = imageShape
        self.labels = labels
        self.classCount = classCount
    }

    /// Number of images N.
    public var count: Int { labels.count }
    /// Bytes per image, C·H·W.
    public var imageSize: Int { imageShape.reduce(1, *) }

    /// Images `rows` as `[rows.count, C, H, W]` with values byte / 255.
    public func images(_ rows: Range<Int>) -> Tensor {
        require(rows.lowerBound >= 0 && rows.upperBound <= count, "LabeledPixels.images: rows \(rows) outside 0..<\(count)")
        var t = Tensor(uninitializedShape: [rows.count] + imageShape)
        let first = rows.lowerBound * imageSize
        t.withUnsafeMutableBufferPointer { dst in
            pixels.withUnsafeBufferPointer { src in
                for i in 0..<dst.count { dst[i] = Float(src[first + i]) / 255 }
            }
        }
        return t
    }

    /// All of the set as Float images in [0, 1].
    public var labeledImages: LabeledImages {
        LabeledImages(images: images(0..<count), labels: labels, classCount: classCount)
    }
}
