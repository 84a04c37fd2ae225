import GANMetrics
import GANTensor
import XCTest

final class NearestNeighbourTests: XCTestCase {
    /// Brute-force nearest neighbour: smallest exact squared distance, first index on ties.
    func bruteNearest(_ q: [Double], _ reference: [[Double]], skipping: Int? = nil) -> (Int, Double) {
        var best = -1, bestDistance = Double.infinity
        for (j, r) in reference.enumerated() where j != skipping {
            let d = squaredDistance(q, r)
            if d < bestDistance { best = j; bestDistance = d }
        }
        return (best, bestDistance.squareRoot())
    }

    func testSearchMatchesBruteForceAcrossBlocks() {
        // 1 001 queries against 4 200 references: at most 2²² / 4 200 = 998 query rows fit one
        // block, so the search spans two blocks.
        let rng = RandomGenerator(seed: 51)
        let queries = rng.uniform([1001, 2]), reference = rng.uniform([4200, 2])
        let (indices, distances) = NearestNeighbours.search(queries: queries, reference: reference)
        // Brute force over flat Double copies (2-d), first index on ties.
        let q = queries.scalars.map(Double.init), r = reference.scalars.map(Double.init)
        var mismatches = 0
        for i in 0..<1001 {
            var best = -1, bestDistance = Double.infinity
            for j in 0..<4200 {
                let dx = q[2 * i] - r[2 * j], dy = q[2 * i + 1] - r[2 * j + 1]
                let d = dx * dx + dy * dy
                if d < bestDistance { best = j; bestDistance = d }
            }
            if indices[i] != best || distances[i] != Float(bestDistance.squareRoot()) { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testSearchIsExactOnOffsetTiedData() {
        // Points 1000 + (multiples of 0.25) in 5-d with duplicates: ‖x‖² ≈ 5·10⁶ against distances
        // of order 1, so only the exact recomputation gets these right. Ties go to the first index,
        // exact copies have distance 0, and excludingSelf skips only the row itself.
        let rng = RandomGenerator(seed: 52)
        var set = (0..<40).map { _ in (0..<5).map { _ in 1000 + Double(rng.nextInt(below: 5)) * 0.25 } }
        set[9] = set[3]; set[20] = set[3]
        let t = tensor(set)
        let (selfIndices, selfDistances) = NearestNeighbours.search(queries: t, reference: t, excludingSelf: true)
        let (plainIndices, plainDistances) = NearestNeighbours.search(queries: t, reference: t)
        for i in set.indices {
            let (j, d) = bruteNearest(set[i], set, skipping: i)
            XCTAssertEqual(selfIndices[i], j, "row \(i)")
            XCTAssertEqual(selfDistances[i], Float(d), "row \(i)")
            // Without exclusion every row finds the first copy of itself at distance 0.
            XCTAssertEqual(plainIndices[i], set.firstIndex(of: set[i])!)
            XCTAssertEqual(plainDistances[i], 0)
        }
        XCTAssertEqual(selfIndices[3], 9)
        XCTAssertEqual(selfIndices[9], 3)
        XCTAssertEqual(selfIndices[20], 3)
        XCTAssertEqual(selfDistances[20], 0)
    }

    func testMemorizationAuditFlagsExactCopies() {
        let rng = RandomGenerator(seed: 53)
        let train = rng.uniform([200, 10]), test = rng.uniform([100, 10]), fresh = rng.uniform([15, 10])
        let trainRows = rows(train)
        let copied = [17, 3, 150, 99, 0]
        let samples = tensor(copied.map { trainRows[$0] } + rows(fresh))
        let report = MemorizationAudit.compute(samples: samples, train: train, test: test)

        // Threshold: numpy's linear 1st percentile of the test points' nearest-training distances.
        let testDistances = rows(test).map { Float(bruteNearest($0, trainRows).1) }.map(Double.init).sorted()
        let position = 0.01 * Double(testDistances.count - 1)
        let lo = Int(position), frac = position - Double(lo)
        let threshold = testDistances[lo] + (testDistances[lo + 1] - testDistances[lo]) * frac
        XCTAssertEqual(Double(report.threshold), threshold, accuracy: 1e-6)
        XCTAssertGreaterThan(report.threshold, 0)

        for (s, j) in copied.enumerated() {
            XCTAssertEqual(report.nearestTrainIndex[s], j)
            XCTAssertEqual(report.nearestDistance[s], 0)
        }
        let sampleRows = rows(samples)
        var flagged = 0
        for s in 0..<samples.shape[0] {
            let (j, d) = bruteNearest(sampleRows[s], trainRows)
            XCTAssertEqual(report.nearestTrainIndex[s], j)
            XCTAssertEqual(report.nearestDistance[s], Float(d))
            if Float(d) <= report.threshold { flagged += 1 }
        }
        XCTAssertGreaterThanOrEqual(flagged, copied.count)
        XCTAssertEqual(report.fractionBelowThreshold, Double(flagged) / 20)
    }
}
