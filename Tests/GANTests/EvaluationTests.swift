@testable import GAN
import Foundation
import GANTestSupport
import XCTest

/// The evaluator refuses inputs its metrics cannot measure, with errors instead of traps.
final class EvaluationTests: XCTestCase {
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
}
