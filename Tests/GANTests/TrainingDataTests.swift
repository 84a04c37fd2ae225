@testable import GAN
import GANTestSupport
import XCTest

final class TrainingDataTests: XCTestCase {
    /// Examples kept as bytes give the batches and the mean image that the same images as a
    /// [0, 1] tensor mapped by `PixelRange.fromUnit` give, bit for bit, for both ranges.
    func testPixelsBatchLikeTheirFloatImages() {
        let rng = RandomGenerator(seed: 8)
        let count = 37, shape = [1, 5, 3], size = 15
        let bytes = (0..<(count * size)).map { _ in UInt8(rng.nextInt(below: 256)) }
        let set = LabeledPixels(pixels: bytes, imageShape: shape, labels: (0..<count).map { $0 % 10 }, classCount: 10)
        let first = 30
        for range in [PixelRange.unit, .symmetric] {
            let asBytes = TrainingData(pixels: set, first: first, range: range, monitorSet: nil)
            // The Float path as it was: byte / 255, then the tensor operators `x * 2 - 1`.
            let unit = set.images(0..<first)
            let asValues = TrainingData(samples: range == .unit ? unit : unit * 2 - 1, labels: Array(set.labels.prefix(first)),
                                        classCount: 10, monitorSet: nil, mixture: nil)
            XCTAssertEqual(asBytes.count, first)
            XCTAssertEqual(asBytes.sampleShape, shape)
            XCTAssertEqual(asBytes.labels, asValues.labels)
            let indices = [29, 0, 7, 7, 13]
            XCTAssertEqual(asBytes.gather(indices).shape, [5] + shape)
            XCTAssertEqual(asBytes.gather(indices).scalars, asValues.gather(indices).scalars, "\(range)")
            XCTAssertEqual(asBytes.meanSample(range: range).scalars, asValues.meanSample(range: range).scalars, "\(range)")
            // Byte 0 and 255 reach the ends of the range.
            let extremes = TrainingData(
                pixels: LabeledPixels(pixels: [0, 255], imageShape: [1, 1, 1], labels: [0, 1], classCount: 2), first: 2, range: range, monitorSet: nil)
            XCTAssertEqual(extremes.gather([0, 1]).scalars, range == .unit ? [0, 1] : [-1, 1])
        }
    }

    func testTheMonitorHoldsOutTheImagesAfterTheTrainingLimit() {
        XCTAssertEqual(TrainingData.monitorRows(training: 50_000, of: 60_000), 50_000..<50_500)
        XCTAssertEqual(TrainingData.monitorRows(training: 59_800, of: 60_000), 59_800..<60_000)
        XCTAssertEqual(TrainingData.monitorRows(training: 60_000, of: 60_000), 59_500..<60_000, "no images left: the last 500")
        XCTAssertEqual(TrainingData.monitorRows(training: 300, of: 300), 0..<300)
        // Without --train-limit the monitor's images are held out of training.
        for (count, limit, training) in [(60_000, nil, 59_500), (50_000, nil, 49_500), (1_000, nil, 900), (9, nil, 9),
                                         (60_000, 50_000, 50_000), (60_000, 70_000, 60_000)] as [(Int, Int?, Int)] {
            let n = TrainingData.trainingCount(limit: limit, of: count)
            XCTAssertEqual(n, training, "\(count) examples, limit \(String(describing: limit))")
            let monitor = TrainingData.monitorRows(training: n, of: count)
            if limit == nil && count >= 10 { XCTAssertGreaterThanOrEqual(monitor.lowerBound, n, "monitor rows overlap training") }
        }
    }

    /// MNIST without --train-limit trains on 59,500 images and monitors the last 500, which
    /// training never sees; with the 2014 preset's limit the monitor reads the 500 after it.
    func testMNISTHoldsOutTheMonitorImages() throws {
        guard let directory = sharedMNISTDirectory() else { throw XCTSkip("../shared/data/mnist not found") }
        var config = TrainingConfig.preset(.dcgan)
        config.dataDirectory = directory
        let data = try TrainingData.load(config, range: .unit)
        XCTAssertEqual(data.count, 59_500)
        let pixels = try MNIST.loadPixels(directory: directory, split: .train)
        XCTAssertEqual(data.monitorSet?.scalars, pixels.images(59_500..<60_000).scalars)
        config.trainLimit = 50_000
        XCTAssertEqual(try TrainingData.load(config, range: .unit).count, 50_000)
    }

    /// An RGB image folder trains in colour with --channels 3, grey by default.
    func testFolderChannels() throws {
        let dir = temporaryFolder(self)
        for k in 0..<3 {
            let pixels = (0..<(4 * 4 * 3)).map { UInt8(($0 * 37 + k * 11) % 256) }
            try PNG.write(pixels: pixels, width: 4, height: 4, channels: 3, to: dir + "/\(k).png")
        }
        var config = TrainingConfig.preset(.dcgan)
        config.dataset = "folder:" + dir
        config.imageSize = 28
        XCTAssertEqual(try TrainingData.load(config, range: .symmetric).sampleShape, [1, 28, 28])
        config.imageChannels = 3
        try config.validate()
        XCTAssertEqual(try TrainingData.load(config, range: .symmetric).sampleShape, [3, 28, 28])
    }
}
