import XCTest
import GANTensor
@testable import GANData

final class MNISTTests: XCTestCase {
    /// <package root>/../shared/data/mnist, or a skip when it is absent.
    func mnistDirectory() throws -> String {
        let dir = DataFiles.join(packageRoot, "../shared/data/mnist")
        guard DataFiles.isFile(DataFiles.join(dir, "train-images-idx3-ubyte.gz")) else {
            throw XCTSkip("MNIST not found at \(dir)")
        }
        return dir
    }

    func testRealMNISTTrainingSplit() throws {
        let dir = try mnistDirectory()
        let train = try MNIST.load(directory: dir, split: .train)
        XCTAssertEqual(train.images.shape, [60000, 1, 28, 28])
        XCTAssertEqual(train.count, 60000)
        XCTAssertEqual(train.classCount, 10)
        XCTAssertEqual(train.labels.first, 5, "the first MNIST training digit is a 5")
        XCTAssertTrue(train.labels.allSatisfy { (0...9).contains($0) })
        // The published per-class counts of the training set.
        var counts = [Int](repeating: 0, count: 10)
        for label in train.labels { counts[label] += 1 }
        XCTAssertEqual(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        let (low, high) = train.images.withUnsafeBufferPointer { p in (p.min()!, p.max()!) }
        XCTAssertEqual(low, 0)
        XCTAssertEqual(high, 1)
    }

    func testPixelsAreTheImagesAsBytes() throws {
        let dir = try mnistDirectory()
        let images = try MNIST.load(directory: dir, split: .test)
        let pixels = try MNIST.loadPixels(directory: dir, split: .test)
        XCTAssertEqual(pixels.count, 10000)
        XCTAssertEqual(pixels.imageShape, [1, 28, 28])
        XCTAssertEqual(pixels.pixels.count, 10000 * 784)
        XCTAssertEqual(pixels.labels, images.labels)
        XCTAssertEqual(pixels.images(0..<10000).scalars, images.images.scalars, "byte / 255, bit for bit")
        let rows = pixels.images(9990..<9993)
        XCTAssertEqual(rows.shape, [3, 1, 28, 28])
        XCTAssertEqual(rows.scalars, images.images.slice(axis: 0, start: 9990, length: 3).scalars)
    }

    func testRealMNISTTestSplitWithChecksums() throws {
        let dir = try mnistDirectory()
        let test = try MNIST.load(directory: dir, split: .test, verifyChecksums: true)
        XCTAssertEqual(test.images.shape, [10000, 1, 28, 28])
        XCTAssertEqual(test.labels.first, 7, "the first MNIST test digit is a 7")
        XCTAssertTrue(test.labels.allSatisfy { (0...9).contains($0) })
        XCTAssertTrue(test.images.withUnsafeBufferPointer { $0.allSatisfy { $0 >= 0 && $0 <= 1 } })
    }

    /// The md5 sums of the uncompressed files, as published with the data set.
    func testRealMNISTUncompressedChecksums() throws {
        let dir = try mnistDirectory()
        let known = [
            "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
            "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
            "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
            "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
        ]
        for (name, digest) in known {
            let path = DataFiles.join(dir, name)
            let content = try Gzip.decompress(DataFiles.read(path), source: path)
            XCTAssertEqual(MD5.hex(content), digest, name)
        }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: MNISTVariant.mnist.files.map { ($0.name, $0.uncompressedMD5!) }), known)
    }

    /// Writes a tiny MNIST-style split (2 images of 2×2) into `dir`.
    func writeTinySplit(_ dir: String, labels: [UInt8], imageCount: Int = 2, gzip: Bool = true) throws {
        let images = IDX.encode(dimensions: [imageCount, 2, 2], values: (0..<(imageCount * 4)).map { UInt8($0 * 30) })
        let labelFile = IDX.encode(dimensions: [labels.count], values: labels)
        let suffix = gzip ? ".gz" : ""
        try DataFiles.writeAtomically(gzip ? Gzip.compress(images) : images, to: DataFiles.join(dir, "t10k-images-idx3-ubyte" + suffix))
        try DataFiles.writeAtomically(gzip ? Gzip.compress(labelFile) : labelFile, to: DataFiles.join(dir, "t10k-labels-idx1-ubyte" + suffix))
    }

    func testTinySplitFromGzipAndRawFiles() throws {
        for gzip in [true, false] {
            let dir = try makeTemporaryDirectory(self)
            try writeTinySplit(dir, labels: [3, 9], gzip: gzip)
            let set = try MNIST.load(directory: dir, split: .test, variant: .fashionMNIST)
            XCTAssertEqual(set.images.shape, [2, 1, 2, 2])
            XCTAssertEqual(set.labels, [3, 9])
            XCTAssertEqual(set.images.scalars, (0..<8).map { Float($0 * 30) / 255 })
        }
    }

    func testInconsistentOrMissingFilesAreRejected() throws {
        let dir = try makeTemporaryDirectory(self)
        try writeTinySplit(dir, labels: [1, 2, 3])
        assertDataError(["t10k-labels-idx1-ubyte.gz", "2 labels expected", "got 3"]) { try MNIST.load(directory: dir, split: .test) }
        try writeTinySplit(dir, labels: [1, 10])
        assertDataError(["t10k-labels-idx1-ubyte.gz", "label 1", "0...9 expected, got 10"]) { try MNIST.load(directory: dir, split: .test) }
        assertDataError(["train-images-idx3-ubyte.gz", "found neither"]) { try MNIST.load(directory: dir, split: .train) }
        try writeTinySplit(dir, labels: [1, 2])
        assertDataError(["t10k-images-idx3-ubyte.gz", "checksum", "2646ac647ad5339dbf082846283269ea"]) {
            try MNIST.load(directory: dir, split: .test, verifyChecksums: true)
        }
    }

    /// Fashion-MNIST's checksums are of the .gz files only: asked to verify raw IDX files, the
    /// loader says they cannot be verified instead of accepting them unchecked.
    func testRawFashionMNISTFilesCannotBeVerified() throws {
        let dir = try makeTemporaryDirectory(self)
        try writeTinySplit(dir, labels: [3, 9], gzip: false)
        XCTAssertNoThrow(try MNIST.load(directory: dir, split: .test, variant: .fashionMNIST))
        assertDataError([DataFiles.join(dir, "t10k-images-idx3-ubyte"), "checksum", "only the md5 of the .gz file t10k-images-idx3-ubyte.gz is published"]) {
            try MNIST.load(directory: dir, split: .test, variant: .fashionMNIST, verifyChecksums: true)
        }
    }

    func testBatchGathersRows() {
        let images = Tensor(shape: [3, 1, 1, 2], values: [0, 1, 10, 11, 20, 21])
        let set = LabeledImages(images: images, labels: [4, 5, 6], classCount: 10)
        XCTAssertEqual(set.batch([2, 0]).shape, [2, 1, 1, 2])
        XCTAssertEqual(set.batch([2, 0]).scalars, [20, 21, 0, 1])
        XCTAssertEqual(set.batchLabels([2, 0]), [6, 4])
    }
}
