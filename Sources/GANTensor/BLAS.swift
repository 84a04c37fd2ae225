#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// The one boundary to the system BLAS (OpenBLAS on Linux, Accelerate on macOS).
///
/// Every matrix product in SwiftGAN goes through ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``,
/// so a faster kernel can replace it here without touching layers.
public enum BLAS {
    /// Threads OpenBLAS may use (no-op with Accelerate).
    public static func setThreadCount(_ n: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(n))
        #endif
    }

    /// Row-major `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, where `op(X)` is `X` or `Xᵀ`.
    /// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored.
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Tensor {
    /// Matrix product of rank-2 tensors: `[m, k] · [k, n] → [m, n]`, with optional transposes
    /// (`transposeA` reads `a` as `[k, m]` stored, etc.).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul: expected two matrices, got shapes \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0], ka = transposeA ? a.shape[0] : a.shape[1]
        let kb = transposeB ? b.shape[1] : b.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
        precondition(
            ka == kb,
            "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "") (\(ka) vs \(kb))")
        var out = Tensor(uninitializedShape: [m, n])
        BLAS.gemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: ka,
            a: a.pointer, lda: a.shape[1], b: b.pointer, ldb: b.shape[1], c: out.storage.pointer, ldc: n)
        return out
    }
}
