import GANTensor

/// Exact Euclidean nearest-neighbour search between sample matrices.
public enum NearestNeighbours {
    /// For every query row, the index of and distance to its nearest reference row.
    ///
    /// - Parameters:
    ///   - queries: `[Q, D]`, one query per row.
    ///   - reference: `[R, D]`, one candidate per row (R ≥ 1, or R ≥ 2 when `excludingSelf`).
    ///   - excludingSelf: when true, `queries` and `reference` are the same set and query `i` may
    ///     not match reference `i` (other rows with identical values still match, at distance 0).
    /// - Returns: `indices[i]` ∈ `0..<R` and `distances[i] = ‖qᵢ − r_{indices[i]}‖₂`.
    ///   Ties go to the smallest reference index.
    ///
    /// Candidates come from a blocked Float `sgemm` of `‖q‖² + ‖r‖² − 2q·r` (row blocks of at most
    /// 1024 queries); the winner and its distance are settled by exact Double recomputation of
    /// every candidate within the Float error bound, so the answer equals a double-precision brute force.
    public static func search(queries: Tensor, reference: Tensor, excludingSelf: Bool = false) -> (indices: [Int], distances: [Float]) {
        let op = "NearestNeighbours.search"
        _ = finiteSampleMatrixShape(queries, "queries", op)
        _ = finiteSampleMatrixShape(reference, "reference", op)
        return nearest(queries: queries, reference: reference, excludingSelf: excludingSelf, op: op)
    }

    /// ``search(queries:reference:excludingSelf:)`` for inputs the caller has checked to be finite.
    static func nearest(queries: Tensor, reference: Tensor, excludingSelf: Bool = false, op: String) -> (indices: [Int], distances: [Float]) {
        let engine = PairwiseDistances(queries: queries, reference: reference, op: op)
        let q = engine.queryCount, r = engine.referenceCount
        if excludingSelf {
            require(q == r, "\(op): excludingSelf needs the queries to be the reference set, got \(q) and \(r) rows")
            require(r >= 2 || q == 0, "\(op): excludingSelf needs at least 2 reference rows, got \(r)")
        } else {
            require(r >= 1 || q == 0, "\(op): the reference set is empty")
        }
        var indices = [Int](repeating: 0, count: q)
        var distances = [Float](repeating: 0, count: q)
        indices.withUnsafeMutableBufferPointer { idx in
            distances.withUnsafeMutableBufferPointer { dist in
                engine.forEachQueryRow { i, dots in
                    // Query i's nearest reference row.
                    let best = engine.kNearest(i, dots: dots, k: 1, excluding: excludingSelf ? i : nil)[0]
                    idx[i] = best.index
                    dist[i] = Float(best.squaredDistance.squareRoot())
                }
            }
        }
        return (indices, distances)
    }

    /// Distance from each row of `set` (`[N, D]`) to its k-th nearest neighbour among the other
    /// rows (k ≥ 1, N > k): the radius `r_k` used by improved precision/recall and density/coverage.
    public static func kthNeighbourDistances(_ set: Tensor, k: Int) -> [Double] {
        let op = "NearestNeighbours.kthNeighbourDistances"
        _ = finiteSampleMatrixShape(set, "set", op)
        return squaredKthNeighbourDistances(set, k: k, op: op, name: "set").map { $0.squareRoot() }
    }
}

/// The result of ``MemorizationAudit/compute(samples:train:test:percentile:)``.
public struct MemorizationReport {
    /// For each generated sample, the index of its nearest training row.
    public var nearestTrainIndex: [Int]
    /// For each generated sample, its Euclidean distance to that training row.
    public var nearestDistance: [Float]
    /// The `percentile`-th percentile of the held-out test points' distances to their nearest
    /// training row: how close genuinely new data comes to the training set.
    public var threshold: Float
    /// Fraction of generated samples whose nearest-training distance is ≤ `threshold`.
    public var fractionBelowThreshold: Double
}

/// Memorization audit: are generated samples closer to the training set than held-out data is?
public enum MemorizationAudit {
    /// Nearest training neighbour of each sample, and the fraction of samples that sit closer to
    /// the training set than all but `percentile` % of the test set does.
    ///
    /// - Parameters:
    ///   - samples: `[S, D]` generated samples (flattened images or features).
    ///   - train: `[T, D]` training set.
    ///   - test: `[N, D]` held-out real data from the same distribution (N ≥ 1).
    ///   - percentile: which percentile of the test-to-train nearest distances is the threshold
    ///     (default 1). Linear interpolation between order statistics, as numpy's default
    ///     `percentile`: position `p/100 · (N − 1)` in the sorted distances.
    /// - Returns: a ``MemorizationReport``. A sample is flagged when its distance is `≤ threshold`,
    ///   so exact copies of training points (distance 0) are always flagged, even when the test
    ///   set itself contains copies of training points and the threshold is 0.
    public static func compute(samples: Tensor, train: Tensor, test: Tensor, percentile: Double = 1) -> MemorizationReport {
        require(percentile >= 0 && percentile <= 100, "MemorizationAudit: percentile \(percentile) outside [0, 100]")
        let op = "MemorizationAudit"
        _ = finiteSampleMatrixShape(samples, "samples", op)
        _ = finiteSampleMatrixShape(train, "train", op)
        require(finiteSampleMatrixShape(test, "test", op).count >= 1, "MemorizationAudit: the test set is empty")
        let sampleToTrain = NearestNeighbours.nearest(queries: samples, reference: train, op: op)
        let testToTrain = NearestNeighbours.nearest(queries: test, reference: train, op: op).distances
        let threshold = Float(percentileOf(testToTrain.map(Double.init), percentile))
        let flagged = sampleToTrain.distances.filter { $0 <= threshold }.count
        return MemorizationReport(
            nearestTrainIndex: sampleToTrain.indices, nearestDistance: sampleToTrain.distances,
            threshold: threshold,
            fractionBelowThreshold: sampleToTrain.distances.isEmpty ? 0 : Double(flagged) / Double(sampleToTrain.distances.count))
    }

    /// numpy's default (`linear`) percentile of non-empty `values`.
    static func percentileOf(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        let position = p / 100 * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}
