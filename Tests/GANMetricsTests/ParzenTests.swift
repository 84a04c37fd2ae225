import Foundation
import GANMetrics
import GANTensor
import XCTest

final class ParzenTests: XCTestCase {
    /// Brute force: the mixture density itself, (1/K) Σⱼ (2πσ²)^{-d/2} exp(−‖x − μⱼ‖²/(2σ²)),
    /// then its log. Fine in Double when no term underflows (small d, moderate σ).
    func bruteLogDensity(_ x: [Double], _ centres: [[Double]], _ sigma: Double) -> Double {
        let d = Double(x.count)
        var density = 0.0
        for mu in centres {
            density += pow(2 * Double.pi * sigma * sigma, -d / 2) * exp(-squaredDistance(x, mu) / (2 * sigma * sigma))
        }
        return log(density / Double(centres.count))
    }

    func testLogLikelihoodsMatchBruteForceDensity() {
        let rng = RandomGenerator(seed: 11)
        let points = rng.uniform([7, 5]), centres = rng.uniform([13, 5])
        for sigma in [0.15, 0.3, 1.0] {
            let got = ParzenWindow.logLikelihoods(points: points, centers: centres, sigma: sigma)
            XCTAssertEqual(got.count, 7)
            for (i, x) in rows(points).enumerated() {
                let expected = bruteLogDensity(x, rows(centres), sigma)
                XCTAssertLessThan(relativeError(got[i], expected), 1e-6, "point \(i), σ \(sigma): \(got[i]) vs \(expected)")
            }
        }
    }

    func testLogLikelihoodIsStableWhereTheDensityUnderflows() {
        // One centre: log p = −‖x − μ‖²/(2σ²) − d·log(σ√(2π)) exactly. With σ = 0.01 and ‖x − μ‖² = 1.25
        // the density is exp(−6250)·…, which underflows a naive computation to log 0 = −∞.
        let x = Tensor(shape: [1, 5], values: [0.5, 0, 0, 0, 1])
        let mu = Tensor(shape: [1, 5], values: [0, 0, 0, 0, 0])
        let sigma = 0.01
        let expected = -1.25 / (2 * sigma * sigma) - 5 * log(sigma * (2 * Double.pi).squareRoot())
        let got = ParzenWindow.logLikelihoods(points: x, centers: mu, sigma: sigma)[0]
        XCTAssertLessThan(relativeError(got, expected), 1e-9, "\(got) vs \(expected)")
        // Two centres, the second so far away it contributes nothing: the mean over K = 2 halves the density.
        let two = Tensor(shape: [2, 5], values: [0, 0, 0, 0, 0, 50, 50, 50, 50, 50])
        let halved = ParzenWindow.logLikelihoods(points: x, centers: two, sigma: sigma)[0]
        XCTAssertLessThan(relativeError(halved, expected - log(2)), 1e-9)
    }

    func testSigmaGridIsNumpyLogspace() {
        // numpy.logspace(-1, 0, 10), as listed in the protocol notes.
        let listed = [0.1, 0.1292, 0.1668, 0.2154, 0.2783, 0.3594, 0.4642, 0.5995, 0.7743, 1.0]
        XCTAssertEqual(ParzenWindow.sigmaGrid.count, 10)
        for (a, b) in zip(ParzenWindow.sigmaGrid, listed) { XCTAssertEqual(a, b, accuracy: 5e-5) }
        XCTAssertEqual(ParzenWindow.sigmaGrid[0], 0.1, accuracy: 1e-15)
        XCTAssertEqual(ParzenWindow.sigmaGrid[9], 1.0, accuracy: 1e-15)
    }

    func testSigmaSelectionPicksTheBruteForceArgmax() {
        let rng = RandomGenerator(seed: 12)
        let validation = rng.uniform([20, 5]), centres = rng.uniform([30, 5])
        let grid = ParzenWindow.sigmaGrid
        let valRows = rows(validation), centreRows = rows(centres)
        let bruteMeans = grid.map { sigma in valRows.map { bruteLogDensity($0, centreRows, sigma) }.reduce(0, +) / 20 }
        var bruteBest = 0
        for s in grid.indices where bruteMeans[s] > bruteMeans[bruteBest] { bruteBest = s }
        // The data are chosen so the optimum is inside the grid: an off-by-one or a wrong sign would show.
        XCTAssertTrue(bruteBest > 0 && bruteBest < grid.count - 1, "brute-force optimum at the grid edge (\(bruteBest))")

        let (sigma, means) = ParzenWindow.selectSigma(validation: validation, centers: centres)
        XCTAssertEqual(sigma, grid[bruteBest])
        for s in grid.indices { XCTAssertLessThan(relativeError(means[s], bruteMeans[s]), 1e-6, "grid point \(s)") }
    }

    func testEvaluateReportsMeanAndPopulationStandardError() {
        // Hand check of the formula: values 1, 2, 3, 4 have mean 2.5 and population variance 1.25,
        // so the standard error is √(1.25 / 4).
        let (m, se) = ParzenWindow.meanAndStandardError([1, 2, 3, 4])
        XCTAssertEqual(m, 2.5)
        XCTAssertEqual(se, (1.25 / 4).squareRoot(), accuracy: 1e-15)

        let rng = RandomGenerator(seed: 13)
        let test = rng.uniform([9, 4]), validation = rng.uniform([15, 4]), centres = rng.uniform([25, 4])
        let result = ParzenWindow.evaluate(test: test, validation: validation, centers: centres)
        let (expectedSigma, _) = ParzenWindow.selectSigma(validation: validation, centers: centres)
        XCTAssertEqual(result.sigma, expectedSigma)
        XCTAssertEqual(result.count, 9)
        let values = rows(test).map { bruteLogDensity($0, rows(centres), expectedSigma) }
        let mean = values.reduce(0, +) / 9
        let populationVariance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 9
        XCTAssertLessThan(relativeError(result.mean, mean), 1e-6)
        XCTAssertLessThan(relativeError(result.standardError, (populationVariance / 9).squareRoot()), 1e-6)
    }
}
