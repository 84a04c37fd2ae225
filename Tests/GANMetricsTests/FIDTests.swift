import Foundation
import GANMetrics
import GANTensor
import XCTest

final class FIDTests: XCTestCase {
    func testStatisticsMatchBruteForceMeanAndUnbiasedCovariance() {
        // 2 100 rows of 3 features: more than one 1024-row block, so the blocked accumulation is exercised.
        let x = RandomGenerator(seed: 21).normal([2100, 3], mean: 5, std: 2)
        let stats = FeatureStatistics(features: x)
        let r = rows(x), n = Double(r.count)
        XCTAssertEqual(stats.count, 2100)
        XCTAssertEqual(stats.dimension, 3)
        var mean = [0.0, 0.0, 0.0]
        for row in r { for j in 0..<3 { mean[j] += row[j] / n } }
        for j in 0..<3 { XCTAssertEqual(stats.mean[j], mean[j], accuracy: 1e-12) }
        for a in 0..<3 {
            for b in 0..<3 {
                // np.cov(rowvar=False): Σ (x_a − μ_a)(x_b − μ_b) / (N − 1).
                var c = 0.0
                for row in r { c += (row[a] - mean[a]) * (row[b] - mean[b]) }
                c /= n - 1
                XCTAssertEqual(stats.covariance[a * 3 + b], c, accuracy: 1e-11, "Σ[\(a), \(b)]")
            }
        }
    }

    func testFIDOfASetWithItselfIsZero() {
        let x = RandomGenerator(seed: 22).normal([500, 16])
        let stats = FeatureStatistics(features: x)
        let fid = FrechetDistance.compute(stats, stats)
        XCTAssertLessThan(abs(fid), 1e-6 * stats.trace, "FID(x, x) = \(fid), trace \(stats.trace)")
    }

    func testDiagonalGaussiansMatchClosedForm() {
        // For diagonal Σ the matrices commute and FID = ‖μ1 − μ2‖² + Σᵢ (σ1ᵢ + σ2ᵢ − 2√(σ1ᵢ σ2ᵢ)).
        let mu1 = [0.0, 1.0, -2.0, 0.5], mu2 = [1.0, 1.0, 0.0, 0.25]
        let var1 = [1.0, 4.0, 0.25, 2.0], var2 = [9.0, 1.0, 0.25, 0.5]
        func diagonal(_ v: [Double]) -> [Double] {
            (0..<16).map { $0 % 5 == 0 ? v[$0 / 5] : 0 }
        }
        let a = FeatureStatistics(mean: mu1, covariance: diagonal(var1), count: 100)
        let b = FeatureStatistics(mean: mu2, covariance: diagonal(var2), count: 100)
        var expected = 0.0
        for i in 0..<4 {
            expected += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i])
            expected += var1[i] + var2[i] - 2 * (var1[i] * var2[i]).squareRoot()
        }
        // = 1 + 0 + 4 + 0.0625 + (1+9−6) + (4+1−4) + 0 + (2+0.5−2) = 10.5625
        XCTAssertEqual(expected, 10.5625, accuracy: 1e-12)
        XCTAssertEqual(FrechetDistance.compute(a, b), expected, accuracy: 1e-10)
        XCTAssertEqual(FrechetDistance.compute(b, a), expected, accuracy: 1e-10)
    }

    func testShiftedSampleSetGivesSquaredShift() {
        // Values on a 1/256 grid plus a shift that is also on that grid: every x + c is exact in
        // Float, so both sets have the same covariance and FID = ‖c‖² up to Double rounding.
        let base = RandomGenerator(seed: 23).normal([400, 8]).scalars.map { ($0 * 256).rounded() / 256 }
        let shift: [Float] = [1, -2, 0.5, 0, 3.25, -0.75, 0, 1.5]
        let shifted = base.enumerated().map { $0.element + shift[$0.offset % 8] }
        let a = Tensor(shape: [400, 8], values: base), b = Tensor(shape: [400, 8], values: shifted)
        let expected = shift.reduce(0.0) { $0 + Double($1) * Double($1) }
        let fid = FrechetDistance.compute(real: a, fake: b)
        XCTAssertLessThan(relativeError(fid, expected), 1e-9, "FID \(fid) vs ‖c‖² \(expected)")
    }

    func testNonDiagonalCovariancesMatchJacobiReference() {
        // Full-rank and rank-deficient (rank 3 of 6) covariances, against Σ √λ(S Σb S) from a
        // Jacobi eigensolver written in the tests.
        let n = 6
        let mu1 = (0..<n).map { Double($0) * 0.3 }, mu2 = (0..<n).map { 1 - Double($0) * 0.1 }
        for (rankA, rankB, seed) in [(6, 6, UInt64(31)), (3, 6, 32), (6, 2, 33)] {
            let sa = randomPSD(n, rank: rankA, seed: seed), sb = randomPSD(n, rank: rankB, seed: seed + 100)
            // The Jacobi routine itself must reconstruct its input.
            let (values, vectors) = jacobiEigen(sa)
            let rebuilt = matmul(matmul(vectors, (0..<n).map { i in (0..<n).map { i == $0 ? values[i] : 0 } }), transpose(vectors))
            for i in 0..<n { for j in 0..<n { XCTAssertEqual(rebuilt[i][j], sa[i][j], accuracy: 1e-12) } }

            var expected = 0.0
            for i in 0..<n { expected += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + sa[i][i] + sb[i][i] }
            expected -= 2 * jacobiTraceSqrtProduct(sa, sb)
            let a = FeatureStatistics(mean: mu1, covariance: flat(sa), count: 10)
            let b = FeatureStatistics(mean: mu2, covariance: flat(sb), count: 10)
            // A zero eigenvalue comes out of either solver as ±1e-16 or so, and its square root as
            // ~1e-8, so rank-deficient cases agree only to about √ε; full-rank ones to rounding.
            let tolerance = rankA == n && rankB == n ? 1e-10 : 1e-6
            XCTAssertEqual(FrechetDistance.compute(a, b), expected, accuracy: tolerance, "ranks \(rankA), \(rankB)")
            XCTAssertEqual(FrechetDistance.compute(b, a), expected, accuracy: tolerance, "ranks \(rankA), \(rankB), swapped")
        }
    }

    func testTwoByTwoTraceMatchesEigenvaluesOfTheNonSymmetricProduct() {
        // For 2×2 P = Σa Σb with eigenvalues λ1, λ2 ≥ 0: (√λ1 + √λ2)² = tr P + 2√(det P), and
        // det P = det Σa · det Σb. This uses the product Σa Σb directly, not the symmetric form.
        let sa = [[2.0, 0.7], [0.7, 1.0]], sb = [[0.5, -0.3], [-0.3, 3.0]]
        let p = matmul(sa, sb)
        let detA = sa[0][0] * sa[1][1] - sa[0][1] * sa[1][0], detB = sb[0][0] * sb[1][1] - sb[0][1] * sb[1][0]
        let traceRoot = (p[0][0] + p[1][1] + 2 * (detA * detB).squareRoot()).squareRoot()
        XCTAssertEqual(FrechetDistance.traceOfSquareRootOfProduct(flat(sa), flat(sb), dimension: 2), traceRoot, accuracy: 1e-12)
        let zero = [0.0, 0.0]
        let fid = FrechetDistance.compute(FeatureStatistics(mean: zero, covariance: flat(sa), count: 2),
                                          FeatureStatistics(mean: zero, covariance: flat(sb), count: 2))
        XCTAssertEqual(fid, 2 + 1 + 0.5 + 3 - 2 * traceRoot, accuracy: 1e-12)
    }

    func testCommutingCovariancesUseProductOfEigenvalues() {
        // Σa = Q diag(α) Qᵀ and Σb = Q diag(β) Qᵀ share eigenvectors, so Tr((Σa Σb)^{1/2}) = Σ √(αᵢ βᵢ).
        let angle = 0.7, c = cos(angle), s = sin(angle)
        let q = [[c, -s, 0], [s, c, 0], [0, 0, 1.0]]
        let alpha = [4.0, 1.0, 0.0], beta = [1.0, 9.0, 2.0]
        func build(_ d: [Double]) -> [[Double]] {
            matmul(matmul(q, (0..<3).map { i in (0..<3).map { i == $0 ? d[i] : 0 } }), transpose(q))
        }
        let expected = zip(alpha, beta).reduce(0.0) { $0 + ($1.0 * $1.1).squareRoot() }   // 2 + 3 + 0
        XCTAssertEqual(FrechetDistance.traceOfSquareRootOfProduct(flat(build(alpha)), flat(build(beta)), dimension: 3),
                       expected, accuracy: 1e-7)
    }

    func testFIDOnTwoThousandSixtyFourDimensionalFeatures() {
        // Speed sanity (2 000 × 64): two samples of N(0, I) are close; a mean shift of 0.5 in every
        // coordinate adds about 64 · 0.25 = 16.
        let rng = RandomGenerator(seed: 24)
        let a = rng.normal([2000, 64]), b = rng.normal([2000, 64]), shifted = rng.normal([2000, 64], mean: 0.5)
        let same = FrechetDistance.compute(real: a, fake: b)
        let apart = FrechetDistance.compute(real: a, fake: shifted)
        XCTAssertGreaterThan(same, 0)
        XCTAssertLessThan(same, 2.0, "FID between two N(0, I) samples \(same)")
        XCTAssertEqual(apart - same, 16, accuracy: 1.5, "shifted FID \(apart)")
    }
}
