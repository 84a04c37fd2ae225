@testable import GANMetrics
import GANTensor
import XCTest

final class KIDTests: XCTestCase {
    /// Brute force unbiased MMD² with k(x, y) = (xᵀy/d + 1)³, straight from the definition.
    func bruteMMD(_ x: [[Double]], _ y: [[Double]]) -> Double {
        let d = Double(x[0].count)
        func k(_ a: [Double], _ b: [Double]) -> Double {
            let dot = zip(a, b).reduce(0.0) { $0 + $1.0 * $1.1 }
            return pow(dot / d + 1, 3)
        }
        let m = Double(x.count), n = Double(y.count)
        var xx = 0.0, yy = 0.0, xy = 0.0
        for i in x.indices { for j in x.indices where i != j { xx += k(x[i], x[j]) } }
        for i in y.indices { for j in y.indices where i != j { yy += k(y[i], y[j]) } }
        for i in x.indices { for j in y.indices { xy += k(x[i], y[j]) } }
        return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n)
    }

    func testTinySetsMatchBruteForce() {
        // m = 4, d = 3: with subsetSize = 4 every subset is the whole set in some order, and the
        // estimator is order-independent, so all subsets equal the brute force on the full sets.
        let real: [[Double]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]
        let fake: [[Double]] = [[2, 0, 0], [0, 0.5, 0], [1, -1, 0], [0, 0, 0]]
        let expected = bruteMMD(fake, real)
        // By hand, d = 1, x = {0, 0}, y = {1, 1}: k(0, 0) = 1, k(1, 1) = (1 + 1)³ = 8, k(0, 1) = 1, so
        // MMD²_u = (2·1)/(2·1) + (2·8)/(2·1) − 2·(4·1)/(2·2) = 1 + 8 − 2 = 7.
        XCTAssertEqual(KernelInceptionDistance.unbiasedMMDSquared(tensor([[0], [0]]), tensor([[1], [1]])), 7)
        let values = KernelInceptionDistance.subsetEstimates(
            real: tensor(real), fake: tensor(fake), subsets: 3, subsetSize: 4, rng: RandomGenerator(seed: 1))
        XCTAssertEqual(values.count, 3)
        for v in values { XCTAssertEqual(v, expected, accuracy: 1e-12) }
        let (mean, std) = KernelInceptionDistance.compute(
            real: tensor(real), fake: tensor(fake), subsets: 3, subsetSize: 4, rng: RandomGenerator(seed: 1))
        XCTAssertEqual(mean, expected, accuracy: 1e-12)
        XCTAssertEqual(std, 0, accuracy: 1e-12)
        // Unequal set sizes use m(m−1), n(n−1) and mn.
        let five = real + [[0.5, 0.5, -1]]
        XCTAssertEqual(KernelInceptionDistance.unbiasedMMDSquared(tensor(fake), tensor(five)), bruteMMD(fake, five), accuracy: 1e-12)
    }

    func testSubsetsAreFreshDrawsWithoutReplacementOfTheSmallestSize() {
        let rng = RandomGenerator(seed: 3)
        let real = rng.normal([9, 4]), fake = rng.normal([7, 4], mean: 0.3)
        // m = min(9, 7, 1000) = 7. Replay the documented draw order (fake rows, then real rows,
        // per subset) with the same seed and compare every subset with the brute force.
        let values = KernelInceptionDistance.subsetEstimates(real: real, fake: fake, subsets: 5, rng: RandomGenerator(seed: 4))
        let replay = RandomGenerator(seed: 4)
        let realRows = rows(real), fakeRows = rows(fake)
        for v in values {
            let f = sampleWithoutReplacement(7, 7, replay), r = sampleWithoutReplacement(9, 7, replay)
            XCTAssertEqual(Set(f).count, 7)
            XCTAssertEqual(Set(r).count, 7, "no index twice within a subset")
            // Inner products come from Float BLAS (as float32 numpy in the reference code), so
            // agreement with the all-Double brute force is to about Float precision.
            let expected = bruteMMD(f.map { fakeRows[$0] }, r.map { realRows[$0] })
            XCTAssertEqual(v, expected, accuracy: 1e-6 * max(abs(expected), 1))
        }
        XCTAssertGreaterThan(Set(values).count, 1, "subsets differ, since 7 of 9 real rows are drawn afresh each time")

        // The partial Fisher–Yates draws are uniform: every index of 0..<10 is drawn about 3/10 of the time.
        let draws = RandomGenerator(seed: 5)
        var hits = [Int](repeating: 0, count: 10)
        for _ in 0..<2000 {
            let s = sampleWithoutReplacement(10, 3, draws)
            XCTAssertEqual(Set(s).count, 3)
            for i in s { hits[i] += 1 }
        }
        for h in hits { XCTAssertEqual(Double(h) / 2000, 0.3, accuracy: 0.05) }
    }

    func testIdenticalDistributionsGiveNearZero() {
        let rng = RandomGenerator(seed: 6)
        let real = rng.normal([400, 8]), fake = rng.normal([400, 8]), shifted = rng.normal([400, 8], mean: 0.5)
        let same = KernelInceptionDistance.compute(real: real, fake: fake, subsets: 20, subsetSize: 200, rng: RandomGenerator(seed: 7))
        let apart = KernelInceptionDistance.compute(real: real, fake: shifted, subsets: 20, subsetSize: 200, rng: RandomGenerator(seed: 7))
        XCTAssertGreaterThan(apart.mean, 0.1, "a 0.5 mean shift in 8 dimensions is clearly detected")
        XCTAssertLessThan(abs(same.mean), 0.02 * apart.mean, "KID of identical distributions \(same.mean) vs shifted \(apart.mean)")
    }

    func testHundredSubsetsOfThousandOnSixtyFourDimensions() {
        // Speed sanity for the 100 × 1000 default on 64-d features.
        let rng = RandomGenerator(seed: 8)
        let real = rng.normal([1200, 64]), fake = rng.normal([1200, 64], mean: 0.2)
        let (mean, std) = KernelInceptionDistance.compute(real: real, fake: fake, rng: RandomGenerator(seed: 9))
        XCTAssertGreaterThan(mean, 0)
        XCTAssertGreaterThan(std, 0)
        XCTAssertLessThan(std, mean)
    }
}
