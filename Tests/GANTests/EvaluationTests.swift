@testable import GAN
import Foundation
import GANTestSupport
import XCTest

/// The evaluator refuses inputs its metrics cannot measure, with errors instead of traps.
final class EvaluationTests: XCTestCase {
    /// Writes `count` images of `rows`×`columns` (and as many labels) as gzipped IDX files of `split`.
    func writeSplit(_ dir: String, _ split: DatasetSplit, count: Int, rows: Int = 28, columns: Int = 28) throws {
        let images = IDX.encode(dimensions: [count, rows, columns], values: [UInt8](repeating: 7, count: count * rows * columns))
        let labels = IDX.encode(dimensions: [count], values: (0..<count).map { UInt8($0 % 10) })
        try DataFiles.writeAtomically(Gzip.compress(images), to: DataFiles.join(dir, MNIST.fileName(split, images: true)))
        try DataFiles.writeAtomically(Gzip.compress(labels), to: DataFiles.join(dir, MNIST.fileName(split, images: false)))
    }

    /// Runs `body`, requiring a DataError whose message holds every fragment.
    func assertDataError(_ fragments: [String], line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected a DataError containing \(fragments), nothing was thrown", line: line)
        } catch let error as DataError {
            for f in fragments where !error.description.contains(f) { XCTFail("\"\(error)\" lacks \"\(f)\"", line: line) }
        } catch {
            XCTFail("expected a DataError, got \(type(of: error)): \(error)", line: line)
        }
    }

    /// IDX files that are not the MNIST the protocol is defined on: other image sizes, or too few
    /// training images for σ's validation slice train[50000..<51000], are errors naming the file.
    func testEvaluatorRefusesMNISTFilesOfTheWrongShapeOrCount() throws {
        let dir = temporaryFolder(self)
        let classifier = FeatureClassifier(rng: RandomGenerator(seed: 1))
        func evaluator() throws { _ = try Evaluator(classifier: classifier, classifierTestAccuracy: 0.9, mnistDirectory: dir) }
        let testImages = DataFiles.join(dir, "t10k-images-idx3-ubyte.gz"), trainImages = DataFiles.join(dir, "train-images-idx3-ubyte.gz")

        try writeSplit(dir, .test, count: 8, rows: 2, columns: 2)
        try writeSplit(dir, .train, count: 8)
        assertDataError([testImages, "IDX dimensions", "28×28 images expected", "got 2×2"], evaluator)
        try writeSplit(dir, .test, count: 3)
        assertDataError([testImages, "at least 6 images expected", "the file holds 3"], evaluator)
        try writeSplit(dir, .test, count: 8)
        assertDataError([trainImages, "IDX dimensions", "at least 51000 images expected", "train[50000..<51000]", "the file holds 8"], evaluator)
        try writeSplit(dir, .train, count: 3, rows: 28, columns: 14)
        assertDataError([trainImages, "28×28 images expected", "got 28×14"], evaluator)
    }

    /// NaN or infinite samples (a diverged generator) are refused before any metric runs, with
    /// how many there are and where to look instead; the metrics themselves would stop the process.
    func testNonFiniteSamplesAreRefusedBeforeAnyMetric() throws {
        guard let dir = sharedMNISTDirectory() else { throw XCTSkip("MNIST not found beside the checkout") }
        let evaluator = try Evaluator(classifier: FeatureClassifier(rng: RandomGenerator(seed: 1)), classifierTestAccuracy: 0.9,
                                      mnistDirectory: dir)
        var samples = Tensor(zeros: [20, 1, 28, 28])
        samples.withUnsafeMutableBufferPointer { p in
            p[3 * 784 + 100] = .nan
            p[3 * 784 + 101] = .infinity
            p[17 * 784 + 783] = -.infinity
        }
        XCTAssertThrowsError(try evaluator.evaluate(samples: samples, labels: nil, metrics: Set(EvaluationMetric.allCases),
                                                    description: "diverged", seed: 1)) { error in
            guard let e = error as? ConfigError else { return XCTFail("expected a ConfigError, got \(error)") }
            XCTAssertEqual(e.field, "samples")
            for fragment in ["2 of 20 samples", "NaN or ±inf", "first is sample 3", "diverged", "earlier checkpoint"] {
                XCTAssertTrue(e.problem.contains(fragment), "\"\(e.problem)\" lacks \"\(fragment)\"")
            }
        }
    }

    /// Fewer samples than a chosen metric is defined for is an error naming each such metric and
    /// its minimum (the metrics' own checks would stop the process); the others still run.
    func testTooFewSamplesForAMetricAreAnErrorNamingIt() throws {
        guard let dir = sharedMNISTDirectory() else { throw XCTSkip("MNIST not found beside the checkout") }
        let evaluator = try Evaluator(classifier: FeatureClassifier(rng: RandomGenerator(seed: 1)), classifierTestAccuracy: 0.9,
                                      mnistDirectory: dir)
        let rng = RandomGenerator(seed: 2)
        let samples = rng.uniform([3, 1, 28, 28])
        XCTAssertThrowsError(try evaluator.evaluate(samples: samples, labels: nil, metrics: Set(EvaluationMetric.allCases),
                                                    description: "three", seed: 1)) { error in
            guard let e = error as? ConfigError else { return XCTFail("expected a ConfigError, got \(error)") }
            XCTAssertEqual(e.field, "samples")
            for fragment in ["3 samples are too few", "pr (at least 4)", "is (at least 10)"] {
                XCTAssertTrue(e.problem.contains(fragment), "\"\(e.problem)\" lacks \"\(fragment)\"")
            }
            XCTAssertFalse(e.problem.contains("fid"), e.problem)
        }
        let result = try evaluator.evaluate(samples: samples, labels: nil, metrics: [.fid, .kid, .classes], description: "three", seed: 1)
        XCTAssertTrue(result.fid?.isFinite == true && result.kid?.mean.isFinite == true, "\(String(describing: result.fid)) \(String(describing: result.kid))")
    }

    /// Pixels outside [0, 1] (a generator's raw tanh output) are refused with the range found and
    /// the mapping to apply; the classifier and Parzen's σ grid are defined on [0, 1].
    func testSamplesOutsideTheUnitRangeAreRefused() throws {
        guard let dir = sharedMNISTDirectory() else { throw XCTSkip("MNIST not found beside the checkout") }
        let evaluator = try Evaluator(classifier: FeatureClassifier(rng: RandomGenerator(seed: 1)), classifierTestAccuracy: 0.9,
                                      mnistDirectory: dir)
        let tanhOutput = RandomGenerator(seed: 3).uniform([12, 1, 28, 28], low: -1, high: 1)
        XCTAssertThrowsError(try evaluator.evaluate(samples: tanhOutput, labels: nil, metrics: [.fid], description: "tanh", seed: 1)) { error in
            guard let e = error as? ConfigError else { return XCTFail("expected a ConfigError, got \(error)") }
            XCTAssertEqual(e.field, "samples")
            XCTAssertTrue(e.problem.contains("pixels must be in [0, 1]") && e.problem.contains("(x + 1) / 2"), e.problem)
        }
        let mapped = tanhOutput.map { ($0 + 1) / 2 }
        XCTAssertNoThrow(try evaluator.evaluate(samples: mapped, labels: nil, metrics: [.fid], description: "mapped", seed: 1))
    }
}
