import GANTensor

/// Blocked squared Euclidean distances between the rows of two Float sample matrices, with
/// exact answers for every comparison the metrics make.
///
/// The bulk work is one Float `sgemm` per block of query rows:
/// `‖q − r‖² = ‖q‖² + ‖r‖² − 2 q·r`, with the norms in Double and the dot products from BLAS.
/// That formula loses digits to cancellation when two points are close, so every decision
/// (is this distance ≤ that radius? which neighbour is nearest?) is first taken on the fast value
/// with a rigorous error bound, and only the pairs inside the bound are recomputed as
/// `Σₖ (qₖ − rₖ)²` in Double (differences and squares of Float inputs are exact in Double; only
/// the sum rounds), so ties such as duplicated points resolve exactly and results match a plain
/// double-precision brute force.
///
/// Error bound: a Float dot product of length D obeys `|fl(q·r) − q·r| ≤ γ_D ‖q‖‖r‖` with
/// `γ_D = D·u / (1 − D·u)`, `u = 2⁻²⁴`, whatever the summation order or FMA use. The bound used
/// is twice that, for `2 q·r`, times 4 as a safety margin, plus allowances for the Double rounding
/// of the norms and for Float underflow.
struct PairwiseDistances {
    let queries: Tensor
    let reference: Tensor
    let dimension: Int
    /// ‖qᵢ‖² and ‖rⱼ‖² in Double.
    let querySquaredNorms: [Double]
    let referenceSquaredNorms: [Double]
    /// ‖qᵢ‖ and ‖rⱼ‖, for the error bound.
    let queryNorms: [Double]
    let referenceNorms: [Double]
    /// Multiplies ‖q‖‖r‖ in the error bound.
    let relativeBound: Double

    /// Upper bound on the number of Float dot products held at once (16 MiB).
    static let blockElementBudget = 1 << 22
    /// Upper bound on the rows of one block.
    static let maximumBlockRows = 1024

    init(queries: Tensor, reference: Tensor, op: String) {
        // Finite values are the public entry points' check (each input once, named as the caller knows it).
        let (_, d) = sampleMatrixShape(queries, "queries", op)
        let (_, dr) = sampleMatrixShape(reference, "reference", op)
        require(d == dr, "\(op): queries have \(d) features but the reference set has \(dr)")
        self.queries = queries
        self.reference = reference
        dimension = d
        querySquaredNorms = PairwiseDistances.squaredRowNorms(queries)
        referenceSquaredNorms = PairwiseDistances.squaredRowNorms(reference)
        queryNorms = querySquaredNorms.map { $0.squareRoot() }
        referenceNorms = referenceSquaredNorms.map { $0.squareRoot() }
        let u = 0x1p-24, du = Double(max(d, 1)) * u
        relativeBound = 4 * 2 * du / (1 - du)
    }

    var queryCount: Int { queries.shape[0] }
    var referenceCount: Int { reference.shape[0] }

    /// Σₖ xᵢₖ² for every row i, in Double.
    static func squaredRowNorms(_ t: Tensor) -> [Double] {
        let n = t.shape[0], d = t.shape[1], p = t.pointer
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n {
            // k runs over the D features of row i.
            var s = 0.0
            for k in 0..<d { let v = Double(p[i * d + k]); s += v * v }
            out[i] = s
        }
        return out
    }

    /// `Σₖ (qᵢₖ − rⱼₖ)²` in Double: each difference of two Floats is exact in Double.
    @inline(__always)
    func exact(_ i: Int, _ j: Int) -> Double {
        let q = queries.pointer + i * dimension, r = reference.pointer + j * dimension
        var s = 0.0
        // k runs over the features.
        for k in 0..<dimension { let t = Double(q[k]) - Double(r[k]); s += t * t }
        return s
    }

    /// Calls `body(i, dots)` for every query row `i`, where `dots[j]` is the Float dot product of
    /// query `i` with reference `j` (`j < referenceCount`).
    ///
    /// Rows are processed in blocks of at most ``maximumBlockRows`` rows and
    /// ``blockElementBudget`` products (one `sgemm` per block, so memory stays bounded); within a
    /// block, rows run in parallel, so `body` must write only to outputs owned by row `i`.
    func forEachQueryRow(_ body: (Int, UnsafePointer<Float>) -> Void) {
        let q = queryCount, r = referenceCount, d = dimension
        if q == 0 { return }
        if r == 0 {
            let none = [Float](repeating: 0, count: 1)
            none.withUnsafeBufferPointer { p in for i in 0..<q { body(i, p.baseAddress!) } }
            return
        }
        let blockRows = max(1, min(PairwiseDistances.maximumBlockRows, PairwiseDistances.blockElementBudget / r))
        var dots = [Float](repeating: 0, count: min(blockRows, q) * r)
        dots.withUnsafeMutableBufferPointer { buffer in
            let g = buffer.baseAddress!
            var start = 0
            while start < q {
                let rows = min(blockRows, q - start)
                // g[a·r + j] = q_{start+a} · r_j for the a-th row of this block.
                BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: r, k: d,
                          a: queries.pointer + start * d, lda: d, b: reference.pointer, ldb: d,
                          c: g, ldc: r)
                let blockStart = start
                Parallel.forRanges(rows, costPerElement: r) { range in
                    for a in range { body(blockStart + a, UnsafePointer(g + a * r)) }
                }
                start += rows
            }
        }
    }

    /// The `k` nearest reference rows of query `i` by exact squared distance, ascending (ties by
    /// index), skipping reference `excluding`. `dots` is the row from ``forEachQueryRow(_:)``.
    ///
    /// Pass 1 takes U = the k-th smallest *upper* bound `approx + tol`; the true k-th smallest
    /// distance is ≤ U. Pass 2 recomputes exactly every reference whose *lower* bound
    /// `approx − tol` is ≤ U: that set holds every point at or below the true k-th distance, so
    /// its k smallest exact distances are the true k nearest.
    func kNearest(_ i: Int, dots: UnsafePointer<Float>, k: Int, excluding: Int? = nil) -> [(index: Int, squaredDistance: Double)] {
        let r = referenceCount, skip = excluding ?? -1
        // best holds the k smallest upper bounds seen so far, ascending; worst = best[k − 1] once full.
        var best = [Double]()
        best.reserveCapacity(k + 1)
        var worst = Double.infinity
        var candidates = [(index: Int, squaredDistance: Double)]()
        withRowBounds(i) { qn, tq, rn, rnorm in
            for j in 0..<r where j != skip {
                // j indexes the reference set.
                let a = qn + rn[j] - 2 * Double(dots[j])
                let upper = a + tq * rnorm[j] + Self.normRounding * (qn + rn[j]) + tinyBound
                if upper < worst || best.count < k {
                    var at = best.count
                    while at > 0 && best[at - 1] > upper { at -= 1 }
                    best.insert(upper, at: at)
                    if best.count > k { best.removeLast() }
                    if best.count == k { worst = best[k - 1] }
                }
            }
            guard best.count == k else { return }
            for j in 0..<r where j != skip {
                // Reference j is a candidate when its lower bound does not exceed U = worst.
                let a = qn + rn[j] - 2 * Double(dots[j])
                if a - (tq * rnorm[j] + Self.normRounding * (qn + rn[j]) + tinyBound) <= worst {
                    candidates.append((j, exact(i, j)))
                }
            }
        }
        if candidates.count < k { return [] }
        candidates.sort { $0.squaredDistance != $1.squaredDistance ? $0.squaredDistance < $1.squaredDistance : $0.index < $1.index }
        return Array(candidates.prefix(k))
    }

    /// Number of references j with `‖qᵢ − rⱼ‖² ≤ radiiSquared[j]` (`inclusive`) or `<` (strict),
    /// decided exactly (pairs within the error bound of the radius are recomputed in Double).
    func countWithinRadii(_ i: Int, dots: UnsafePointer<Float>, radiiSquared: [Double], inclusive: Bool) -> Int {
        var count = 0
        radiiSquared.withUnsafeBufferPointer { rho in
            withRowBounds(i) { qn, tq, rn, rnorm in
                for j in 0..<referenceCount {
                    // j indexes the reference set, whose point j has the ball of squared radius rho[j].
                    let a = qn + rn[j] - 2 * Double(dots[j])
                    let t = tq * rnorm[j] + Self.normRounding * (qn + rn[j]) + tinyBound
                    if a + t < rho[j] { count += 1; continue }     // exact ≤ a + t < ρ: inside either way
                    if a - t > rho[j] { continue }                 // exact ≥ a − t > ρ: outside either way
                    let e = exact(i, j)
                    if inclusive ? e <= rho[j] : e < rho[j] { count += 1 }
                }
            }
        }
        return count
    }

    /// Relative rounding allowance for the Double norms.
    static let normRounding = 1e-15
    /// Absolute allowance for Float underflow in the dot products.
    var tinyBound: Double { Double(dimension) * 1e-37 }

    /// Calls `body(‖qᵢ‖², relativeBound·‖qᵢ‖, ‖r‖² per reference, ‖r‖ per reference)` with raw
    /// pointers for the inner loops, which form, for reference j with Float dot product gⱼ,
    ///
    ///     approx = ‖qᵢ‖² + ‖rⱼ‖² − 2gⱼ
    ///     tol    = relativeBound·‖qᵢ‖·‖rⱼ‖ + normRounding·(‖qᵢ‖² + ‖rⱼ‖²) + tinyBound ≥ |approx − exact|
    @inline(__always)
    func withRowBounds(_ i: Int, _ body: (Double, Double, UnsafePointer<Double>, UnsafePointer<Double>) -> Void) {
        let qn = querySquaredNorms[i], tq = relativeBound * queryNorms[i]
        referenceSquaredNorms.withUnsafeBufferPointer { rn in
            referenceNorms.withUnsafeBufferPointer { rnorm in
                body(qn, tq, rn.baseAddress!, rnorm.baseAddress!)
            }
        }
    }
}

/// Squared distance from each row of `set` to its k-th nearest neighbour in `set`, excluding the
/// row itself (duplicates of the row count as neighbours at distance 0). Exact in Double.
///
/// This equals the reference implementations' "(k+1)-th smallest distance including self", since
/// removing the point's own 0 from the sorted list shifts the order statistics by one.
func squaredKthNeighbourDistances(_ set: Tensor, k: Int, op: String, name: String = "features") -> [Double] {
    let n = sampleMatrixShape(set, name, op).count
    require(k >= 1 && k < n, "\(op): k = \(k) needs at least k + 1 = \(k + 1) points, got \(n)")
    let engine = PairwiseDistances(queries: set, reference: set, op: op)
    var radii = [Double](repeating: 0, count: n)
    radii.withUnsafeMutableBufferPointer { out in
        engine.forEachQueryRow { i, dots in
            // Row i's k-th nearest other point, by exact distance.
            out[i] = engine.kNearest(i, dots: dots, k: k, excluding: i)[k - 1].squaredDistance
        }
    }
    return radii
}
