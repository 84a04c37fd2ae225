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

    private func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
    }
}
