import Foundation
import GANMetrics
import GANTensor
import XCTest

final class InceptionScoreTests: XCTestCase {
    func oneHot(_ labels: [Int], classes c: Int) -> Tensor {
        Tensor(shape: [labels.count, c], values: labels.flatMap { l in (0..<c).map { $0 == l ? Float(1) : 0 } })
    }

    func testEvenOneHotPredictionsScoreTheClassCount() {
        // 200 rows cycling through 10 classes: each contiguous split of 20 rows holds every class
        // twice, so p(y) is uniform, KL(one-hot ‖ uniform) = log 10 for every row, and IS = 10.
        let p = oneHot((0..<200).map { $0 % 10 }, classes: 10)
        let (mean, std) = InceptionScore.compute(probabilities: p)
        XCTAssertEqual(mean, 10, accuracy: 1e-9)
        XCTAssertEqual(std, 0, accuracy: 1e-9)
    }

    func testIdenticalPredictionsScoreOne() {
        // p(y|x) = p(y) for every x: every KL is 0, IS = exp(0) = 1.
        let row: [Float] = [0.1, 0.2, 0.3, 0.4]
        let p = Tensor(shape: [50, 4], values: Array((0..<50).map { _ in row }.joined()))
        let (mean, std) = InceptionScore.compute(probabilities: p)
        XCTAssertEqual(mean, 1, accuracy: 1e-12)
        XCTAssertEqual(std, 0, accuracy: 1e-12)
    }

    func testRandomSoftmaxMatchesBruteForceWithUnevenSplits() {
        // 53 rows: split i holds rows ⌊53·i/10⌋ ..< ⌊53·(i+1)/10⌋ (sizes 5 and 6).
        let rng = RandomGenerator(seed: 61)
        let logits = rows(rng.normal([53, 7], std: 2))
        // Softmax rows, rounded to Float once so the brute force sees exactly the tensor's values.
        let probs = rows(tensor(logits.map { l -> [Double] in
            let e = l.map { exp($0) }, s = e.reduce(0, +)
            return e.map { $0 / s }
        }))
        let scores = InceptionScore.splitScores(probabilities: tensor(probs))
        var expected = [Double]()
        for s in 0..<10 {
            let part = Array(probs[(s * 53 / 10)..<((s + 1) * 53 / 10)])
            let py = (0..<7).map { y in part.reduce(0.0) { $0 + $1[y] } / Double(part.count) }
            let kl = part.map { p in (0..<7).reduce(0.0) { $0 + p[$1] * log(p[$1] / py[$1]) } }
            expected.append(exp(kl.reduce(0, +) / Double(part.count)))
        }
        XCTAssertEqual(scores.count, 10)
        for s in 0..<10 { XCTAssertEqual(scores[s], expected[s], accuracy: 1e-12 * expected[s], "split \(s)") }
        let mean = expected.reduce(0, +) / 10
        let std = (expected.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 10).squareRoot()
        let result = InceptionScore.compute(probabilities: tensor(probs))
        XCTAssertEqual(result.mean, mean, accuracy: 1e-12 * mean)
        XCTAssertEqual(result.std, std, accuracy: 1e-9 * std)
    }

    func testClassSummaries() {
        // One repeated class out of 10: one class covered, p̂ = (1, 0, …, 0), KL = 1·log(1·10) = log 10.
        let single = ClassDistribution.summarize(predictedLabels: Array(repeating: 3, count: 25), classCount: 10)
        XCTAssertEqual(single.classesCovered, 1)
        XCTAssertEqual(single.histogram[3], 25)
        XCTAssertEqual(single.klToUniform, log(10), accuracy: 1e-12)
        // Perfectly even: all classes covered, KL 0.
        let even = ClassDistribution.summarize(predictedLabels: (0..<40).map { $0 % 10 }, classCount: 10)
        XCTAssertEqual(even.classesCovered, 10)
        XCTAssertEqual(even.klToUniform, 0, accuracy: 1e-12)
        // Labels 0, 0, 1, 2 of 4 classes: p̂ = (½, ¼, ¼, 0), KL = ½ log 2 + ¼ log 1 + ¼ log 1 = ½ log 2.
        let mixed = ClassDistribution.summarize(predictedLabels: [0, 0, 1, 2], classCount: 4)
        XCTAssertEqual(mixed.histogram, [2, 1, 1, 0])
        XCTAssertEqual(mixed.classesCovered, 3)
        XCTAssertEqual(mixed.klToUniform, 0.5 * log(2), accuracy: 1e-12)
        // From probabilities: the argmax of each row.
        let p = Tensor(shape: [3, 3], values: [0.1, 0.7, 0.2, 0.6, 0.3, 0.1, 0.2, 0.3, 0.5])
        XCTAssertEqual(ClassDistribution.predictedLabels(p), [1, 0, 2])
        XCTAssertEqual(ClassDistribution.summarize(probabilities: p, classCount: 3).histogram, [1, 1, 1])
    }

    func testConditionalAccuracy() {
        XCTAssertEqual(ClassDistribution.conditionalAccuracy(predicted: [1, 2, 3, 4], requested: [1, 0, 3, 0]), 0.5)
        XCTAssertEqual(ClassDistribution.conditionalAccuracy(predicted: [7], requested: [7]), 1)
    }
}
