import GANTensor

// Plain double-precision reference computations, written independently of GANMetrics' blocked
// BLAS code: nothing here calls the library under test.

/// The rows of an `[N, D]` tensor as Double arrays.
func rows(_ t: Tensor) -> [[Double]] {
    let n = t.shape[0], d = t.shape[1], v = t.scalars
    return (0..<n).map { i in (0..<d).map { Double(v[i * d + $0]) } }
}

/// A `[rows.count, D]` tensor from Float-representable rows.
func tensor(_ rows: [[Double]]) -> Tensor {
    Tensor(shape: [rows.count, rows.first?.count ?? 0], values: rows.flatMap { $0.map(Float.init) })
}

func squaredDistance(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for k in a.indices { s += (a[k] - b[k]) * (a[k] - b[k]) }
    return s
}

/// Squared distance from each point to its k-th nearest other point of the same set.
func bruteKthNeighbourSquared(_ set: [[Double]], k: Int) -> [Double] {
    set.indices.map { i in
        var others = [Double]()
        for j in set.indices where j != i { others.append(squaredDistance(set[i], set[j])) }
        return others.sorted()[k - 1]
    }
}

/// Cyclic Jacobi eigenvalue method for a small symmetric matrix: returns eigenvalues and the
/// eigenvectors as columns of `vectors` (A = V diag(λ) Vᵀ).
func jacobiEigen(_ matrix: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
    let n = matrix.count
    var a = matrix
    var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
    var scale = 0.0
    for row in a { for x in row { scale += x * x } }
    for _ in 0..<100 {
        var off = 0.0
        for p in 0..<n { for q in (p + 1)..<n { off += a[p][q] * a[p][q] } }
        if off <= 1e-32 * scale { break }
        for p in 0..<n {
            for q in (p + 1)..<n where a[p][q] != 0 {
                // Rotation in the (p, q) plane that zeroes a[p][q].
                let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {
                    let akp = a[k][p], akq = a[k][q]
                    a[k][p] = c * akp - s * akq
                    a[k][q] = s * akp + c * akq
                }
                for k in 0..<n {
                    let apk = a[p][k], aqk = a[q][k]
                    a[p][k] = c * apk - s * aqk
                    a[q][k] = s * apk + c * aqk
                }
                for k in 0..<n {
                    let vkp = v[k][p], vkq = v[k][q]
                    v[k][p] = c * vkp - s * vkq
                    v[k][q] = s * vkp + c * vkq
                }
            }
        }
    }
    return ((0..<n).map { a[$0][$0] }, v)
}

func matmul(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
    let n = a.count, m = b[0].count, k = b.count
    return (0..<n).map { i in (0..<m).map { j in (0..<k).reduce(0.0) { $0 + a[i][$1] * b[$1][j] } } }
}

func transpose(_ a: [[Double]]) -> [[Double]] {
    (0..<a[0].count).map { j in a.indices.map { a[$0][j] } }
}

/// Tr((Σa Σb)^{1/2}) through Jacobi: S = Σa^{1/2}, then Σ √λ(S Σb S).
func jacobiTraceSqrtProduct(_ sa: [[Double]], _ sb: [[Double]]) -> Double {
    let (la, va) = jacobiEigen(sa)
    let n = sa.count
    let rootDiag = (0..<n).map { i in (0..<n).map { j in i == j ? max(la[i], 0).squareRoot() : 0 } }
    let root = matmul(matmul(va, rootDiag), transpose(va))
    let m = matmul(matmul(root, sb), root)
    return jacobiEigen(m).values.reduce(0.0) { $0 + max($1, 0).squareRoot() }
}

/// Flattens a square matrix row-major.
func flat(_ a: [[Double]]) -> [Double] { a.flatMap { $0 } }

/// A random symmetric PSD matrix B Bᵀ with B `n×r` (rank ≤ r), entries of B uniform in [-1, 1].
func randomPSD(_ n: Int, rank r: Int, seed: UInt64) -> [[Double]] {
    let rng = RandomGenerator(seed: seed)
    let b = (0..<n).map { _ in (0..<r).map { _ in rng.nextUnitDouble() * 2 - 1 } }
    return matmul(b, transpose(b))
}

func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }
