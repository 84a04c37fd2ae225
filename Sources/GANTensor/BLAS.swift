#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import Foundation

/// The one boundary to the system BLAS (OpenBLAS or oneDNN's sgemm on Linux, Accelerate on macOS).
///
/// Every matrix product in SwiftGAN goes through ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``,
/// so a faster kernel can replace it here without touching layers.
public enum BLAS {
    /// OpenBLAS runs single-threaded: SwiftGAN splits each large product across
    /// ``Parallel/threadCount`` workers itself. OpenBLAS's own workers spin (`sched_yield`) for a
    /// while after every call and so steal a core from the elementwise kernels that run between
    /// products; on two cores that cost a fifth of a DCGAN step.
    private static let singleThreaded: Void = {
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)
        #endif
    }()

    /// Which library's sgemm runs the products.
    public enum Library: String {
        case openBLAS = "OpenBLAS", accelerate = "Accelerate", oneDNN = "oneDNN"
    }

    /// oneDNN's sgemm where oneDNN is linked, unless OpenBLAS runs AVX-512 kernels (its
    /// "SkylakeX", "Cooperlake" or "SapphireRapids" sets, chosen by OpenBLAS or forced by
    /// `OPENBLAS_CORETYPE`). Measured on the products of the benchmarks' steps (`gan-bench gemm`):
    /// where oneDNN has AVX-512 and OpenBLAS runs AVX2 kernels, oneDNN was 1.5–2× faster on
    /// every shape; on an AVX2-only AMD EPYC (Zen 3), oneDNN's AVX2 sgemm was 10–40% faster than
    /// OpenBLAS's "Zen" kernels on 17 of the mlpgan step's 18 shapes (the step about 20% faster),
    /// though 38% slower on a 1024³ square; against OpenBLAS's own AVX-512 kernels the two were
    /// within ±20% either way, so OpenBLAS stays there. `SWIFTGAN_GEMM=openblas` or `=onednn`
    /// overrides the choice. Tests switch it to compare the two.
    nonisolated(unsafe) public static var library: Library = {
        #if canImport(Accelerate)
        return .accelerate
        #else
        switch ProcessInfo.processInfo.environment["SWIFTGAN_GEMM"]?.lowercased() {
        case "openblas": return .openBLAS
        case "onednn": return oneDNNGemmAvailable ? .oneDNN : .openBLAS
        default:
            let openBLASHasAVX512 = ["skylakex", "cooperlake", "sapphirerapids"].contains(openBLASKernelSet.lowercased())
            return oneDNNGemmAvailable && !openBLASHasAVX512 ? .oneDNN : .openBLAS
        }
        #endif
    }()

    /// The library of batched products (``gemmBatch(count:transposeA:transposeB:m:n:k:alpha:a:lda:strideA:b:ldb:strideB:beta:c:ldc:strideC:)``,
    /// Winograd's 9 per chunk of images): OpenBLAS where ``library`` is oneDNN running AVX2
    /// kernels, else ``library``. oneDNN's sgemm allocates its packing buffers on every call, and
    /// Winograd makes 18 calls per chunk; on the AVX2-only EPYC the dcgan28 step was level with
    /// the batched products on either (two ABBA quadruples, sums 588 / 606 img/s on oneDNN
    /// against 569 / 654 on OpenBLAS), sampling about 30% faster on OpenBLAS (one quadruple),
    /// and OpenBLAS took a dcgan28 step's heap allocations from 775 to 595 and its requested
    /// bytes from 3.4 to 0.55 MiB. Where oneDNN runs AVX-512 and OpenBLAS AVX2 (pinned to Haswell),
    /// oneDNN's products are 1.5–2× faster, so it keeps them. `SWIFTGAN_GEMM` sets both libraries.
    nonisolated(unsafe) public static var batchLibrary: Library = {
        #if canImport(Accelerate)
        return .accelerate
        #else
        if ProcessInfo.processInfo.environment["SWIFTGAN_GEMM"] != nil { return library }
        return library == .oneDNN && !oneDNNInstructionSet.hasPrefix("avx512") ? .openBLAS : library
        #endif
    }()

    /// Makes `library` run every product, batched or not (for tests and benchmarks that
    /// compare the libraries); returns the previous pair for ``restore(_:)``.
    @discardableResult
    public static func runAllProducts(on library: Library) -> (Library, Library) {
        defer { self.library = library; batchLibrary = library }
        return (self.library, batchLibrary)
    }

    /// Puts back the pair ``runAllProducts(on:)`` returned.
    public static func restore(_ saved: (Library, Library)) { (library, batchLibrary) = saved }

    /// Every sgemm linked on this platform: OpenBLAS (and oneDNN's where it is linked) on Linux,
    /// Accelerate on macOS.
    public static var linkedLibraries: [Library] {
        #if canImport(Accelerate)
        return [.accelerate]
        #else
        return oneDNNGemmAvailable ? [.openBLAS, .oneDNN] : [.openBLAS]
        #endif
    }

    /// Runs `body(library)` once with each of ``linkedLibraries`` running the products (batched
    /// or not), then restores ``library`` and ``batchLibrary`` (for tests and benchmarks that compare them).
    public static func forEachLinkedLibrary(_ body: (Library) throws -> Void) rethrows {
        let chosen = (library, batchLibrary)
        defer { restore(chosen) }
        for each in linkedLibraries {
            runAllProducts(on: each)
            try body(each)
        }
    }

    /// True where oneDNN is linked (its sgemm can run the products).
    public static var oneDNNGemmAvailable: Bool {
        #if canImport(CDNNL)
        return true
        #else
        return false
        #endif
    }

    /// The instruction set of oneDNN's kernels ("avx512_core", "avx2"), "" where it is not linked.
    private static var oneDNNInstructionSet: String {
        #if canImport(CDNNL)
        return OneDNN.instructionSet
        #else
        return ""
        #endif
    }

    #if !canImport(Accelerate)
    private static var openBLASKernelSet: String { String(cString: openblas_get_corename()) }
    #endif

    /// The kernels that run the products: "OpenBLAS Haswell" (AVX2), "OpenBLAS SkylakeX" /
    /// "Cooperlake" (AVX-512; `OPENBLAS_CORETYPE` in the environment overrides OpenBLAS's choice),
    /// "oneDNN avx512_core", "oneDNN avx2", or "Accelerate".
    public static var kernelSet: String { kernelSet(of: library) }

    /// The kernels `library` runs (see ``kernelSet``).
    public static func kernelSet(of library: Library) -> String {
        switch library {
        case .accelerate: return "Accelerate"
        case .oneDNN: return oneDNNInstructionSet.isEmpty ? "oneDNN" : "oneDNN " + oneDNNInstructionSet
        case .openBLAS:
            #if canImport(Accelerate)
            return "OpenBLAS"
            #else
            return "OpenBLAS " + openBLASKernelSet
            #endif
        }
    }

    /// Below this many multiply-adds per block a product is not split.
    static let minimumMultiplyAddsPerBlock = 1 << 20

    /// Row-major `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, where `op(X)` is `X` or `Xᵀ`.
    /// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored.
    ///
    /// Large products are split into column blocks (or row blocks when `m > n`) that SwiftGAN's
    /// workers run; the blocks follow from the shape alone (``blockCount(m:n:k:)``), so every
    /// element of `C` is computed by the same library call whatever the thread count, and the
    /// result does not depend on it. (Splitting by worker count did not do that: OpenBLAS's
    /// Haswell kernels rounded a 40×300×1500 product differently for 300 columns than for 112.)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        products(count: 1, transposeA, transposeB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, library)
    }

    /// `count` products of one shape, `C_i = alpha · op(A_i) · op(B_i) + beta · C_i` with
    /// `A_i = a + i·strideA`, `B_i = b + i·strideB`, `C_i = c + i·strideC` (row-major, as in
    /// ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``). Each product is cut
    /// into the same blocks, and all blocks of all products run in one parallel loop: one
    /// hand-off to the workers instead of one per product (Winograd's 9 products per chunk).
    /// A batch cuts each product into at most 2 blocks (18 for Winograd's 9 products, which two
    /// or three workers share about evenly): 4 each, as a lone product gets, made twice the
    /// library calls, and each of oneDNN's sgemm calls allocates its packing buffers (955
    /// against 775 heap allocations per dcgan28 step). Blocks still follow from the shape alone.
    public static func gemmBatch(
        count: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, strideA: Int, b: UnsafePointer<Float>, ldb: Int, strideB: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int
    ) {
        products(count: count, transposeA, transposeB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC,
                 batchLibrary)
    }

    /// `count` products on `library`, each cut into blocks by its shape (at most 2 when batched).
    private static func products(
        count: Int, _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ strideA: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ strideB: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ strideC: Int, _ library: Library
    ) {
        if m == 0 || n == 0 || count == 0 { return }
        if k == 0 {
            for p in 0..<count {
                let cp = c + p * strideC
                for i in 0..<m { for j in 0..<n { cp[i * ldc + j] = beta == 0 ? 0 : beta * cp[i * ldc + j] } }
            }
            return
        }
        _ = singleThreaded
        let blocks = count > 1 ? min(blockCount(m: m, n: n, k: k), 2) : blockCount(m: m, n: n, k: k)
        if blocks == 1 && count == 1 {
            sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, library)
            return
        }
        let splitColumns = n >= m
        let extent = splitColumns ? n : m
        // Blocks are multiples of 16 so each block's edge stays SIMD-aligned.
        let block = ((extent + blocks - 1) / blocks + 15) / 16 * 16
        Parallel.perform(count * blocks, ProductBlocks(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, strideA: strideA, b: b, ldb: ldb, strideB: strideB,
            beta: beta, c: c, ldc: ldc, strideC: strideC, library: library,
            blocks: blocks, block: block, splitColumns: splitColumns))
    }

    /// The blocks of `count` products, `blocks` per product: block `index` is block
    /// `index mod blocks` of product `index / blocks`, `block` columns of C (`splitColumns`) or
    /// rows, on thread `index mod threadCount`.
    private struct ProductBlocks: ParallelLoop {
        let transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float
        let a: UnsafePointer<Float>, lda: Int, strideA: Int, b: UnsafePointer<Float>, ldb: Int, strideB: Int
        let beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int, library: Library
        let blocks: Int, block: Int, splitColumns: Bool

        func run(_ indices: Range<Int>) {
            for index in indices {
                let p = index / blocks, start = (index % blocks) * block
                let end = min(splitColumns ? n : m, start + block)
                guard start < end else { continue }
                let a = a + p * strideA, b = b + p * strideB, c = c + p * strideC
                if splitColumns {
                    // C[:, start..<end] = op(A) · op(B)[:, start..<end]
                    let bBlock = transposeB ? b + start * ldb : b + start
                    sgemm(transposeA, transposeB, m, end - start, k, alpha, a, lda, bBlock, ldb, beta, c + start, ldc, library)
                } else {
                    // C[start..<end, :] = op(A)[start..<end, :] · op(B)
                    let aBlock = transposeA ? a + start : a + start * lda
                    sgemm(transposeA, transposeB, end - start, n, k, alpha, aBlock, lda, b, ldb, beta, c + start * ldc, ldc, library)
                }
            }
        }
    }

    /// Blocks a product is split into: a power of two (so two or four workers share them
    /// evenly), each at least 32 rows or columns wide and 2²⁰ multiply-adds, and at most 4, so a
    /// product uses at most four workers. (Sixteen blocks of 64 columns cost a fifth of the
    /// 1024³ sgemm rate on two cores; four did not measurably cost anything.)
    static func blockCount(m: Int, n: Int, k: Int) -> Int {
        let limit = min(4, max(m, n) / 32, m * n * k / minimumMultiplyAddsPerBlock)
        var count = 1
        while count * 2 <= limit { count *= 2 }
        return count
    }

    @inline(__always)
    private static func sgemm(
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ library: Library
    ) {
        #if canImport(CDNNL)
        if library == .oneDNN {
            OneDNN.sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        #endif
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Tensor {
    /// Matrix product of rank-2 tensors: `[m, k] · [k, n] → [m, n]`, with optional transposes
    /// (`transposeA` reads `a` as `[k, m]` stored, etc.).
    ///
    /// Leading and trailing rows of `a` (untransposed) that are all zero give rows of +0 without
    /// the product: the cotangent of a slice is zero outside it, and in a simultaneous step the
    /// generator's backward pass through a discriminator run on real and fake rows together
    /// carries zeros in the real rows. A deliberate deviation from sgemm and PyTorch: there such
    /// a row is ±0, and NaN where `b` holds an infinity or NaN. Finding the rows reads only the
    /// zeros at either end, so a product without them pays two reads.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        product(a, b, transposeA, transposeB, addingRow: nil)
    }

    /// `op(a) · op(b) + row` with `row: [n]` added to every row of the `[m, n]` product: the
    /// output is filled with `row` and the product accumulated onto it (β = 1).
    public static func matmulAddingRow(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                                       row: Tensor) -> Tensor {
        product(a, b, transposeA, transposeB, addingRow: row)
    }

    private static func product(_ a: Tensor, _ b: Tensor, _ transposeA: Bool, _ transposeB: Bool, addingRow row: Tensor?) -> Tensor {
        require(a.rank == 2 && b.rank == 2, "matmul: expected two matrices, got shapes \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0], ka = transposeA ? a.shape[0] : a.shape[1]
        let kb = transposeB ? b.shape[1] : b.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
        require(
            ka == kb,
            "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "") (\(ka) vs \(kb))")
        let out = Tensor(uninitializedShape: [m, n])
        let dst = out.storage.pointer
        if let row {
            require(row.count == n, "matmul: row of \(row.count) values added to a product with \(n) columns")
            for i in 0..<m { (dst + i * n).update(from: row.pointer, count: n) }
        }
        // C[rows, :] = op(A)[rows, :] · op(B); the other rows of op(A) are zero.
        let rows = transposeA ? 0..<m : nonzeroRows(a.pointer, rows: m, columns: ka)
        if row == nil {
            dst.update(repeating: 0, count: rows.lowerBound * n)
            (dst + rows.upperBound * n).update(repeating: 0, count: (m - rows.upperBound) * n)
        }
        BLAS.gemm(
            transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: ka,
            a: a.pointer + rows.lowerBound * ka, lda: a.shape[1], b: b.pointer, ldb: b.shape[1],
            beta: row == nil ? 0 : 1, c: dst + rows.lowerBound * n, ldc: n)
        return out
    }

    /// The rows of the `[rows, columns]` matrix at `a` from its first row with an element other
    /// than ±0 to its last (empty when every element is ±0), read from both ends.
    static func nonzeroRows(_ a: UnsafePointer<Float>, rows: Int, columns: Int) -> Range<Int> {
        let count = rows * columns
        var first = 0
        while first < count && a[first] == 0 { first += 1 }
        if first == count || columns == 0 { return columns == 0 ? 0..<rows : 0..<0 }
        var last = count - 1
        while a[last] == 0 { last -= 1 }
        return first / columns ..< last / columns + 1
    }
}
