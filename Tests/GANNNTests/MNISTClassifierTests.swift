import GANData
import GANNN
import GANTestSupport
import XCTest

/// End to end: the engine trains a real classifier on real data.
final class MNISTClassifierTests: XCTestCase {
    func testOneEpochMLPReaches97PercentOnTheTestSet() throws {
        guard let directory = sharedMNISTDirectory() else { throw XCTSkip("../shared/data/mnist not found") }
        let train = try MNIST.load(directory: directory, split: .train)
        let test = try MNIST.load(directory: directory, split: .test)
        let rng = RandomGenerator(seed: 2024)
        let model = Sequential {
            Flatten()
            Linear(784, 512, rng: rng); ReLU()
            Linear(512, 256, rng: rng); ReLU()
            Linear(256, 10, rng: rng)
        }
        // The usual MNIST standardisation (mean 0.1307, std 0.3081 of the training pixels).
        func standardized(_ x: Tensor) -> Variable { Variable((x - 0.1307) / 0.3081) }
        let optimizer = Adam(model.namedParameters(), learningRate: 1e-3)
        // Batch 50 and a learning rate decayed linearly to zero over the epoch.
        let batchSize = 50, steps = train.count / batchSize
        let schedule = LinearDecaySchedule(initial: 1e-3, final: 0, start: 0, end: steps)
        let order = rng.permutation(train.count)
        for start in stride(from: 0, to: train.count, by: batchSize) {
            optimizer.learningRate = schedule.value(atStep: optimizer.stepCount)
            let indices = Array(order[start..<min(start + batchSize, train.count)])
            let loss = crossEntropy(logits: model(standardized(train.batch(indices))), labels: indices.map { train.labels[$0] })
            optimizer.minimize(loss)
        }

        model.eval()
        var correct = 0
        withoutGradients {
            for start in stride(from: 0, to: test.count, by: 1000) {
                let indices = Array(start..<min(start + 1000, test.count))
                let (_, predicted) = model(standardized(test.batch(indices))).value.maxAlongLastAxis()
                for (k, i) in indices.enumerated() where Int(predicted[k]) == test.labels[i] { correct += 1 }
            }
        }
        let accuracy = Double(correct) / Double(test.count)
        print("MNIST MLP, one epoch: test accuracy \(accuracy)")
        XCTAssertGreaterThanOrEqual(accuracy, 0.97)
    }
}
