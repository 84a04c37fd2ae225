import GANMetrics
import GANTensor
import XCTest

final class PrecisionRecallTests: XCTestCase {
    func testHandComputedOneDimensionalPrecisionRecallWithBoundary() {
        // Real {0, 1, 2, 3}, k = 3. Distances from 0 to the others: 1, 2, 3, so r(0) = 3;
        // r(1) = 2 (others at 1, 1, 2); r(2) = 2; r(3) = 3.
        // Fake {−3, 1.5, 6, 7}:
        //   −3 is 3 from 0 and r(0) = 3: inside because the test is ≤ (a strict < would exclude it);
        //   1.5 is 0.5 from 1: inside;
        //   6 is 3 from 3 and r(3) = 3: inside, again only because of ≤;
        //   7 is 4 from 3 (> 3) and farther from the rest: outside.
        // Precision = 3/4. Fake radii (k = 3): r(−3) = 10 (others at 4.5, 9, 10), r(1.5) = 5.5,
        // r(6) = 9, r(7) = 10; every real point in [0, 3] lies within 10 of −3, so recall = 1.
        let real = tensor([[0], [1], [2], [3]]), fake = tensor([[-3], [1.5], [6], [7]])
        let (precision, recall) = PrecisionRecall.compute(real: real, fake: fake, k: 3)
        XCTAssertEqual(precision, 0.75)
        XCTAssertEqual(recall, 1)
        // Recall is precision with the roles swapped.
        XCTAssertEqual(PrecisionRecall.compute(real: fake, fake: real, k: 3).recall, 0.75)
        XCTAssertEqual(PrecisionRecall.compute(real: fake, fake: real, k: 3).precision, 1)
        XCTAssertEqual(NearestNeighbours.kthNeighbourDistances(real, k: 3), [3, 2, 2, 3])
    }

    func testHandComputedDensityCoverageWithStrictBoundary() {
        // Real {0, 1, 3, 6}, k = 1: NND(0) = 1, NND(1) = 1, NND(3) = 2, NND(6) = 3.
        // Fake {0.5, 2, 9}:
        //   0.5 is 0.5 from 0 and from 1 (< 1 each) and 2.5 from 3 (not < 2): in 2 balls;
        //   2 is 1 from 1 (not < 1: the strict boundary) and 1 from 3 (< 2): in 1 ball;
        //   9 is 3 from 6 (not < 3: boundary again): in 0 balls.
        // Density = (2 + 1 + 0) / (k·M = 3) = 1. Coverage: 0, 1 and 3 each have a fake strictly inside
        // their ball; 6's nearest fake (9) sits exactly on its boundary, so coverage = 3/4.
        // With ≤ instead, density would be 5/3 and coverage 1.
        let real = tensor([[0], [1], [3], [6]]), fake = tensor([[0.5], [2], [9]])
        let (density, coverage) = DensityCoverage.compute(real: real, fake: fake, k: 1)
        XCTAssertEqual(density, 1)
        XCTAssertEqual(coverage, 0.75)
    }

    func testTwoDimensionalSquare() {
        // Real: the corners of the unit square, k = 1 → every radius is 1 (each corner's nearest
        // other corner). Fake (0.5, 0.5) is √0.5 ≈ 0.71 from all four corners: inside all 4 balls.
        // Fake (2, 0) is exactly 1 from (1, 0): inside for precision (≤), outside for density (<).
        let real = tensor([[0, 0], [1, 0], [0, 1], [1, 1]]), fake = tensor([[0.5, 0.5], [2, 0]])
        XCTAssertEqual(PrecisionRecall.compute(real: real, fake: fake, k: 1).precision, 1)
        let (density, coverage) = DensityCoverage.compute(real: real, fake: fake, k: 1)
        XCTAssertEqual(density, 4.0 / 2)        // (4 + 0) / (1 · 2)
        XCTAssertEqual(coverage, 1)             // every corner holds (0.5, 0.5)
    }

    /// Brute force of both papers' definitions in Double.
    func brute(real: [[Double]], fake: [[Double]], kPR: Int, kDC: Int) -> (Double, Double, Double, Double) {
        let rReal = bruteKthNeighbourSquared(real, k: kPR), rFake = bruteKthNeighbourSquared(fake, k: kPR)
        let precision = Double(fake.filter { f in real.indices.contains { squaredDistance(f, real[$0]) <= rReal[$0] } }.count) / Double(fake.count)
        let recall = Double(real.filter { r in fake.indices.contains { squaredDistance(r, fake[$0]) <= rFake[$0] } }.count) / Double(real.count)
        let nnd = bruteKthNeighbourSquared(real, k: kDC)
        var inside = 0
        for f in fake { for i in real.indices where squaredDistance(f, real[i]) < nnd[i] { inside += 1 } }
        let density = Double(inside) / Double(kDC * fake.count)
        let coverage = Double(real.indices.filter { i in fake.contains { squaredDistance($0, real[i]) < nnd[i] } }.count) / Double(real.count)
        return (precision, recall, density, coverage)
    }

    func testMatchesBruteForceOnTieHeavyOffsetData() {
        // Coordinates 1000 + (multiples of 0.25 in [−1, 1]) in 6-d: exact in Float, many exactly
        // tied distances, and ‖x‖² ≈ 6·10⁶ against distances of order 1, so the Float BLAS formula
        // alone would mis-order ties; the results must still equal the exact brute force.
        let rng = RandomGenerator(seed: 41)
        func point() -> [Double] { (0..<6).map { _ in 1000 + Double(rng.nextInt(below: 9) - 4) * 0.25 } }
        var real = (0..<60).map { _ in point() }, fake = (0..<50).map { _ in point() }
        real[5] = real[4]; real[6] = real[4]; real[7] = real[4]     // duplicates: zero radii at k = 3
        fake[0] = real[10]; fake[1] = real[4]                           // copies across the sets
        let expected = brute(real: real, fake: fake, kPR: 3, kDC: 5)
        let pr = PrecisionRecall.compute(real: tensor(real), fake: tensor(fake))
        let dc = DensityCoverage.compute(real: tensor(real), fake: tensor(fake))
        XCTAssertEqual(pr.precision, expected.0)
        XCTAssertEqual(pr.recall, expected.1)
        XCTAssertEqual(dc.density, expected.2)
        XCTAssertEqual(dc.coverage, expected.3)
        let radii = NearestNeighbours.kthNeighbourDistances(tensor(real), k: 3)
        let bruteRadii = bruteKthNeighbourSquared(real, k: 3).map { $0.squareRoot() }
        XCTAssertEqual(radii, bruteRadii)
        XCTAssertEqual(radii[4], 0, "three copies of row 4 make its 3rd-neighbour radius 0")
    }

    func testMatchesBruteForceOnGaussianData() {
        let rng = RandomGenerator(seed: 42)
        let real = rng.normal([80, 10]), fake = rng.normal([70, 10], mean: 0.4, std: 1.3)
        let expected = brute(real: rows(real), fake: rows(fake), kPR: 3, kDC: 5)
        let pr = PrecisionRecall.compute(real: real, fake: fake)
        let dc = DensityCoverage.compute(real: real, fake: fake)
        XCTAssertEqual(pr.precision, expected.0)
        XCTAssertEqual(pr.recall, expected.1)
        XCTAssertEqual(dc.density, expected.2)
        XCTAssertEqual(dc.coverage, expected.3)
        // The shifted, wider fake set leaves something to measure.
        XCTAssertTrue(pr.precision < 1 && pr.recall < 1 && dc.coverage < 1)
    }
}
