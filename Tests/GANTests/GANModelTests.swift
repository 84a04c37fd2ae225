@testable import GAN
import XCTest

final class GANModelTests: XCTestCase {
    func testFromUnitMapsAnUnsharedDataSetInPlaceAndLeavesSharedOnesAlone() {
        let unit: [Float] = [0, 0.25, 0.5, 1]
        let x = Tensor(shape: [2, 2], values: unit)
        let kept = x
        let y = PixelRange.symmetric.fromUnit(x)
        XCTAssertEqual(y.scalars, [-1, -0.5, 0, 1])
        XCTAssertEqual(kept.scalars, unit, "the caller's tensor is not written through")
        XCTAssertTrue(PixelRange.unit.fromUnit(kept).sharesStorage(with: kept), "[0, 1] data are used as they are")
        XCTAssertEqual(PixelRange.symmetric.toUnit(y).scalars, unit)

        // A freshly loaded set, referenced once: mapped without a second copy of its size.
        let fresh = Tensor(shape: [2, 2], values: unit)
        let storage = fresh.pointer
        let mapped = PixelRange.symmetric.fromUnit(consume fresh)
        XCTAssertEqual(mapped.pointer, storage)
        XCTAssertEqual(mapped.scalars, [-1, -0.5, 0, 1])
    }

    func testGeneratingInBatchesMatchesOneBatchAndKeepsEachImagesLabel() {
        let rng = RandomGenerator(seed: 4)
        // A conditional DCGAN: its labels reach both the first layer and the feature maps.
        let model = ConditionalDCGAN(latentDimension: 8, classes: 3, width: 16, rng: rng)
        // Evaluation mode, with running statistics that are not the initial 0 and 1.
        let z = rng.normal([7, 8, 1, 1]), labels = [0, 2, 1, 1, 0, 2, 2]
        for _ in 0..<3 { _ = model.generate(Variable(rng.normal([6, 8, 1, 1])), labels: [0, 1, 2, 0, 1, 2]) }
        model.generator.eval()
        let whole = model.generate(z, labels: labels, batchSize: 7)
        XCTAssertEqual(whole.shape, [7, 1, 28, 28])
        for batchSize in [1, 3, 4] {
            let parts = model.generate(z, labels: labels, batchSize: batchSize)
            XCTAssertEqual(parts.shape, whole.shape)
            XCTAssertLessThan(largestDifference(parts, whole), 1e-6, "batch size \(batchSize)")
        }
        // The labels matter, so a batch given its neighbour's labels would have been caught above.
        let relabelled = model.generate(z, labels: labels.map { ($0 + 1) % 3 }, batchSize: 7)
        XCTAssertGreaterThan(largestDifference(relabelled, whole), 1e-4)
        XCTAssertEqual(model.generate(Tensor(zeros: [0, 8, 1, 1]), labels: [], batchSize: 4).shape, [0, 1, 28, 28], "no noise, no samples")
    }

    /// A conditional D reads its labels: relabelling one image changes that image's score, and
    /// only that one's (evaluation mode, so dropout and batch statistics play no part).
    func testConditionalDiscriminatorsScoreTheGivenLabels() {
        let rng = RandomGenerator(seed: 6)
        let models: [any GANModel] = [
            ConditionalMLPGAN(latentDimension: 4, classes: 3, rng: rng),
            ConditionalDCGAN(latentDimension: 4, classes: 3, width: 4, rng: rng),
        ]
        for model in models {
            // Warm batch-norm statistics away from their initial values, then freeze them.
            _ = model.discriminate(Variable(rng.uniform([6, 1, 28, 28], low: -1, high: 1)), labels: [0, 1, 2, 0, 1, 2])
            model.discriminator.eval()
            let x = Variable(rng.uniform([4, 1, 28, 28], low: -1, high: 1))
            let labels = [0, 1, 2, 1]
            let scores = model.discriminate(x, labels: labels).value.scalars
            XCTAssertEqual(model.discriminate(x, labels: labels).value.scalars, scores, "\(type(of: model)) is deterministic in eval mode")
            var relabelled = labels
            relabelled[2] = 0
            let changed = model.discriminate(x, labels: relabelled).value.scalars
            for i in 0..<4 where i != 2 { XCTAssertEqual(changed[i], scores[i], accuracy: 1e-6, "\(type(of: model)): image \(i)'s score") }
            XCTAssertGreaterThan(Swift.abs(changed[2] - scores[2]), 1e-6, "\(type(of: model)) ignores the label")
        }
    }

    private func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
    }
}
