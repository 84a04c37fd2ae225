import XCTest
import GANTensor
@testable import GANData

final class MixturesTests: XCTestCase {
    func testDefinitions() {
        let ring = GaussianMixture2D.ring8
        XCTAssertEqual(ring.modeCenters.count, 8)
        XCTAssertEqual(ring.modeStd, 0.02)
        for (x, y) in ring.modeCenters { XCTAssertEqual((x * x + y * y).squareRoot(), 2, accuracy: 1e-5) }
        XCTAssertEqual(ring.modeCenters[0].0, 2, accuracy: 1e-6)
        XCTAssertEqual(ring.modeCenters[2].1, 2, accuracy: 1e-6)

        let grid = GaussianMixture2D.grid25
        XCTAssertEqual(grid.modeCenters.count, 25)
        XCTAssertEqual(grid.modeStd, 0.05)
        let expected = Set([-4, -2, 0, 2, 4].flatMap { x in [-4, -2, 0, 2, 4].map { y in "\(x),\(y)" } })
        XCTAssertEqual(Set(grid.modeCenters.map { "\(Int($0.0)),\(Int($0.1))" }), expected)
    }

    func testSamplesLieNearTheirModesAndCoverThemAll() {
        let rng = RandomGenerator(seed: 7)
        for mixture in [GaussianMixture2D.ring8, .grid25] {
            let n = 5000
            let points = mixture.sample(count: n, rng: rng)
            XCTAssertEqual(points.shape, [n, 2])
            var perMode = [Int](repeating: 0, count: mixture.modeCenters.count)
            var squaredOffsets: Float = 0
            for i in 0..<n {
                let nearest = mixture.nearestMode(x: points[i, 0], y: points[i, 1])
                XCTAssertLessThan(nearest.distance, 6 * mixture.modeStd, "point \(i) of \(mixture.name)")
                perMode[nearest.index] += 1
                squaredOffsets += nearest.distance * nearest.distance
            }
            // E|offset|² = 2σ² for isotropic 2-D noise.
            XCTAssertEqual((squaredOffsets / Float(n)).squareRoot(), mixture.modeStd * Float(2).squareRoot(), accuracy: mixture.modeStd * 0.05)
            // Equal weights: every mode gets roughly n / modes points.
            let share = Float(n) / Float(perMode.count)
            for count in perMode { XCTAssertEqual(Float(count), share, accuracy: share * 0.3, mixture.name) }
            let score = mixture.evaluate(points)
            XCTAssertEqual(score.modesCovered, mixture.modeCenters.count)
            XCTAssertGreaterThan(score.highQualityFraction, 0.97)
        }
    }

    func testEvaluateDetectsCollapse() {
        // All points at one centre: one mode covered; points far away: none.
        let ring = GaussianMixture2D.ring8
        let collapsed = Tensor(shape: [4, 2], values: [2, 0, 2, 0, 2.01, 0, 2, 0.01])
        XCTAssertEqual(ring.evaluate(collapsed).modesCovered, 1)
        XCTAssertEqual(ring.evaluate(collapsed).highQualityFraction, 1)
        let off = Tensor(shape: [2, 2], values: [0, 0, 1, 1])
        XCTAssertEqual(ring.evaluate(off).modesCovered, 0)
        XCTAssertEqual(ring.evaluate(off).highQualityFraction, 0)
    }
}
