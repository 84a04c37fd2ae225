@testable import GANTensor
import XCTest

final class RandomTests: XCTestCase {
    func testSeededStreamsAreReproducibleAndRestorable() {
        let a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42)
        XCTAssertEqual(a.normal([100]), b.normal([100]))
        let saved = a.stateWords
        let first = a.uniform([50])
        a.stateWords = saved
        XCTAssertEqual(a.uniform([50]), first)
        XCTAssertNotEqual(RandomGenerator(seed: 43).normal([10]), RandomGenerator(seed: 42).normal([10]))
    }

    func testStreamDoesNotDependOnThreadCount() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 1
        let one = RandomGenerator(seed: 9).normal([200_000])
        Parallel.threadCount = 2
        let two = RandomGenerator(seed: 9).normal([200_000])
        XCTAssertEqual(one, two)
    }

    func testDistributionMoments() {
        let rng = RandomGenerator(seed: 5)
        let n = 200_000
        let normal = rng.normal([n], mean: 1, std: 2).scalars.map(Double.init)
        let mean = normal.reduce(0, +) / Double(n)
        let variance = normal.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 1, accuracy: 0.02)
        XCTAssertEqual(variance, 4, accuracy: 0.05)
        let root3 = Float(3).squareRoot()
        let u: [Float] = rng.uniform([n], low: -root3, high: root3).scalars
        XCTAssertTrue(u.allSatisfy { abs($0) <= root3 })
        let squares: [Double] = u.map { Double($0) * Double($0) }
        let uv = squares.reduce(0, +) / Double(n)
        XCTAssertEqual(uv, 1, accuracy: 0.02, "U(±√3) has unit variance")
        let bern = rng.bernoulli([n], probability: 0.8).scalars
        XCTAssertEqual(Double(bern.reduce(0, +)) / Double(n), 0.8, accuracy: 0.01)
    }

    func testPermutationIsAPermutationAndUniformIntegersStayInRange() {
        let rng = RandomGenerator(seed: 6)
        let p = rng.permutation(1000)
        XCTAssertEqual(p.sorted(), Array(0..<1000))
        XCTAssertNotEqual(p, Array(0..<1000))
        var counts = [Int](repeating: 0, count: 3)
        for _ in 0..<30_000 { counts[rng.nextInt(below: 3)] += 1 }
        for c in counts { XCTAssertEqual(Double(c) / 30_000, 1.0 / 3, accuracy: 0.02) }
    }
}
