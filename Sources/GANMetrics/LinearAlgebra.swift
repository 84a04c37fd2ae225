#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import GANTensor

/// Double-precision dense linear algebra used by the metrics (FID, feature statistics, Parzen).
///
/// Matrices are `[Double]` in row-major order. The BLAS calls go to OpenBLAS on Linux and to
/// Accelerate on macOS; the eigendecomposition is LAPACK's `dsyev`.
public enum DenseMatrix {
    /// Row-major `C[m×n] = alpha · op(A) · op(B) + beta · C` in Double (`cblas_dgemm`),
    /// `op(A)` is `[m×k]`, `op(B)` is `[k×n]`; `lda`, `ldb`, `ldc` are row strides as stored.
    static func dgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double = 1, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_dgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Accumulates the Gram matrix of the columns: `C[n×n] += Aᵀ A` for a row-major `A[k×n]`
    /// (`cblas_dsyrk`, upper triangle only; call ``symmetrizeFromUpper(_:n:)`` afterwards).
    static func accumulateGramOfColumns(
        _ a: UnsafePointer<Double>, rows k: Int, columns n: Int, into c: UnsafeMutablePointer<Double>
    ) {
        if k == 0 || n == 0 { return }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), 1, a, Int32(n), 1, c, Int32(n))
    }

    /// Copies the upper triangle of a row-major `n×n` matrix onto its lower triangle.
    static func symmetrizeFromUpper(_ c: inout [Double], n: Int) {
        for i in 0..<n {
            // Row i, column j < i takes the value stored at (j, i) above the diagonal.
            for j in 0..<i { c[i * n + j] = c[j * n + i] }
        }
    }

    /// Matrix product of two row-major square `n×n` matrices, `A · B`.
    public static func multiply(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
        require(a.count == n * n && b.count == n * n, "DenseMatrix.multiply: expected two \(n)×\(n) matrices")
        var c = [Double](repeating: 0, count: n * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    dgemm(transposeA: false, transposeB: false, m: n, n: n, k: n,
                          a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                }
            }
        }
        return c
    }

    /// Eigendecomposition of a real symmetric `n×n` matrix (row-major; only its upper triangle,
    /// in row-major terms, is read) by LAPACK `dsyev`.
    ///
    /// Returns the eigenvalues in ascending order and, when `vectors` is true, the eigenvectors as
    /// the **rows** of a row-major `n×n` array: row `i` is the unit eigenvector of `values[i]`, so
    /// `A = Σᵢ values[i] · vᵢ vᵢᵀ`. (LAPACK is column-major: its column `i` is our row `i`.)
    public static func symmetricEigen(_ matrix: [Double], n: Int, vectors: Bool) -> (values: [Double], vectors: [Double]) {
        require(matrix.count == n * n, "DenseMatrix.symmetricEigen: \(matrix.count) values for a \(n)×\(n) matrix")
        if n == 0 { return ([], []) }
        // A row-major symmetric matrix read column-major is its transpose, i.e. itself; LAPACK's
        // "lower" triangle in column-major order is the row-major upper triangle.
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        var jobz = CChar(UInt8(ascii: vectors ? "V" : "N"))
        var uplo = CChar(UInt8(ascii: "L"))
        var order = Int32(n), lda = Int32(n), info: Int32 = 0
        // Workspace query (lwork = −1) returns the optimal size in work[0].
        var query = [Double](repeating: 0, count: 1)
        var lwork: Int32 = -1
        a.withUnsafeMutableBufferPointer { pa in
            w.withUnsafeMutableBufferPointer { pw in
                query.withUnsafeMutableBufferPointer { pq in
                    dsyev_(&jobz, &uplo, &order, pa.baseAddress!, &lda, pw.baseAddress!, pq.baseAddress!, &lwork, &info)
                }
            }
        }
        require(info == 0, "DenseMatrix.symmetricEigen: dsyev workspace query failed (info \(info))")
        lwork = Int32(max(Double(3 * n), query[0]).rounded(.up))
        var work = [Double](repeating: 0, count: Int(lwork))
        a.withUnsafeMutableBufferPointer { pa in
            w.withUnsafeMutableBufferPointer { pw in
                work.withUnsafeMutableBufferPointer { pk in
                    dsyev_(&jobz, &uplo, &order, pa.baseAddress!, &lda, pw.baseAddress!, pk.baseAddress!, &lwork, &info)
                }
            }
        }
        require(info == 0, "DenseMatrix.symmetricEigen: dsyev failed to converge or got a bad argument (info \(info))")
        return (w, vectors ? a : [])
    }

    /// Principal square root of a symmetric positive semi-definite `n×n` matrix:
    /// `S = V · diag(√max(λ, 0)) · Vᵀ`, so `S` is symmetric PSD and `S·S = A` up to rounding.
    /// Negative eigenvalues, which rounding can produce for a singular PSD matrix, are clamped to 0.
    public static func symmetricSquareRoot(_ matrix: [Double], n: Int) -> [Double] {
        let (values, vectors) = symmetricEigen(matrix, n: n, vectors: true)
        // W has row i = λᵢ^{1/4} · vᵢ, so Wᵀ W = Σᵢ √λᵢ vᵢ vᵢᵀ = S.
        var scaled = vectors
        for i in 0..<n {
            let f = max(values[i], 0).squareRoot().squareRoot()
            // Column index j runs over the components of eigenvector i.
            for j in 0..<n { scaled[i * n + j] *= f }
        }
        var root = [Double](repeating: 0, count: n * n)
        scaled.withUnsafeBufferPointer { ps in
            root.withUnsafeMutableBufferPointer { pr in
                accumulateGramOfColumns(ps.baseAddress!, rows: n, columns: n, into: pr.baseAddress!)
            }
        }
        symmetrizeFromUpper(&root, n: n)
        return root
    }

    /// The rows of `t` (a rank-2 Float tensor `[N, D]`) in `rows`, converted to Double, row-major.
    static func doubleRows(_ t: Tensor, _ rows: Range<Int>) -> [Double] {
        let d = t.shape[1]
        var out = [Double](repeating: 0, count: rows.count * d)
        let src = t.pointer + rows.lowerBound * d
        out.withUnsafeMutableBufferPointer { p in
            for i in 0..<(rows.count * d) { p[i] = Double(src[i]) }
        }
        return out
    }
}

/// Checks that `t` is a matrix of samples `[N, D]` and returns `(N, D)`.
func sampleMatrixShape(_ t: Tensor, _ name: String, _ op: String) -> (count: Int, dimension: Int) {
    require(t.rank == 2, "\(op): \(name) must be a [N, D] matrix of samples, got shape \(t.shape)")
    return (t.shape[0], t.shape[1])
}

/// The rows of `t` (along axis 0; every other axis makes up the row) that hold a NaN or an
/// infinity, ascending; empty when every value is finite. A rank-0 tensor is one row.
public func nonFiniteRows(_ t: Tensor) -> [Int] {
    let rows = t.rank == 0 ? 1 : t.shape[0]
    guard rows > 0, t.count > 0 else { return [] }
    let width = t.count / rows
    return t.withUnsafeBufferPointer { p in
        // Row r holds values r·width ..< (r + 1)·width.
        (0..<rows).filter { r in p[(r * width)..<((r + 1) * width)].contains { !$0.isFinite } }
    }
}

/// The first of ``nonFiniteRows(_:)``, or nil when every value is finite.
public func firstNonFiniteRow(_ t: Tensor) -> Int? { nonFiniteRows(t).first }

/// ``sampleMatrixShape(_:_:_:)`` for the metrics that compare distances or moments, which have no
/// meaning for NaN or infinite features (nearest-neighbour searches find no neighbours, LAPACK
/// fails on the covariance): also requires every value of `t` to be finite, naming the first
/// offending row. (`fatalError`, not `preconditionFailure`, so that release builds print the
/// message too.)
func finiteSampleMatrixShape(_ t: Tensor, _ name: String, _ op: String) -> (count: Int, dimension: Int) {
    let shape = sampleMatrixShape(t, name, op)
    if let row = firstNonFiniteRow(t) {
        let values = (0..<shape.dimension).map { t.pointer[row * shape.dimension + $0] }
        let bad = values.first { !$0.isFinite }!
        fatalError("\(op): \(name) row \(row) of \(shape.count) holds \(bad) (\(values.filter { !$0.isFinite }.count) of its \(shape.dimension) features are NaN or ±inf); finite features expected (were they computed from diverged samples?)")
    }
    return shape
}
