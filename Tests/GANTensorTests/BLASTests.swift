@testable import GANTensor
import XCTest

final class BLASTests: XCTestCase {
    /// Reference product in Double: C = op(A)·op(B) with A, B stored as given.
    private func naive(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> Tensor {
        let m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1], n = tb ? b.shape[0] : b.shape[1]
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += Double(ta ? a[p, i] : a[i, p]) * Double(tb ? b[j, p] : b[p, j]) }
            c[i * n + j] = Float(s)
        } }
        return Tensor(shape: [m, n], values: c)
    }

    /// Products large enough to be split across workers (by columns when n ≥ m, by rows when
    /// m > n, odd extents so the last block is ragged) equal the reference for every transpose
    /// combination, and are bit-identical whatever the thread count, with each library (k = 1500:
    /// longer than one k block of either library).
    func testSplitProductsMatchReferenceAndIgnoreThreadCount() {
        BLAS.forEachLinkedLibrary { library in
            splitProductsMatchReference(library)
        }
    }

    private func splitProductsMatchReference(_ library: BLAS.Library) {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let rng = RandomGenerator(seed: 5)
        for (m, n, k) in [(37, 301, 97), (301, 37, 97), (40, 300, 1500), (64, 1, 300)] {
            for ta in [false, true] { for tb in [false, true] {
                let a = rng.normal(ta ? [k, m] : [m, k]), b = rng.normal(tb ? [n, k] : [k, n])
                Parallel.threadCount = 1
                let one = Tensor.matmul(a, b, transposeA: ta, transposeB: tb)
                Parallel.threadCount = 3
                let three = Tensor.matmul(a, b, transposeA: ta, transposeB: tb)
                XCTAssertEqual(one, three, "\(library) m \(m) n \(n) k \(k) ta \(ta) tb \(tb)")
                assertCloseTensor(three, naive(a, b, ta, tb), tolerance: 1e-3)
            } }
        }
    }

    /// A batch of products with gaps between the matrices (each split into 2 blocks, the last
    /// ragged, as `gemm` splits a lone one of this size; every transpose; β = 0 and 1) equals the
    /// same products made one at a time, bit for bit, whatever the thread count, and the Double
    /// reference; the gaps are left untouched.
    func testBatchedProductsMatchSingleProducts() {
        BLAS.forEachLinkedLibrary { library in
            let saved = Parallel.threadCount
            defer { Parallel.threadCount = saved }
            let rng = RandomGenerator(seed: 6)
            let (count, m, n, k) = (3, 45, 133, 400), gap = 5
            for ta in [false, true] { for tb in [false, true] { for beta: Float in [0, 1] {
                let a = rng.normal([count, m * k + gap]), b = rng.normal([count, k * n + gap])
                let start = rng.normal([count, m * n + gap])
                let (lda, ldb) = (ta ? m : k, tb ? k : n)
                var batched = start
                for threads in [1, 3] {
                    Parallel.threadCount = threads
                    var c = start
                    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                        BLAS.gemmBatch(count: count, transposeA: ta, transposeB: tb, m: m, n: n, k: k,
                                       a: a.baseAddress!, lda: lda, strideA: m * k + gap, b: b.baseAddress!, ldb: ldb,
                                       strideB: k * n + gap, beta: beta, c: c.baseAddress!, ldc: n, strideC: m * n + gap)
                    } } }
                    if threads == 1 { batched = c } else { XCTAssertEqual(c, batched, "\(library), threads differ") }
                }
                for p in 0..<count {
                    let ap = Tensor(shape: ta ? [k, m] : [m, k], values: Array(a.scalars[p * (m * k + gap)..<p * (m * k + gap) + m * k]))
                    let bp = Tensor(shape: tb ? [n, k] : [k, n], values: Array(b.scalars[p * (k * n + gap)..<p * (k * n + gap) + k * n]))
                    let cOffset = p * (m * n + gap)
                    var single = Array(start.scalars[cOffset..<cOffset + m * n])
                    ap.withUnsafeBufferPointer { a in bp.withUnsafeBufferPointer { b in single.withUnsafeMutableBufferPointer { c in
                        BLAS.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, a: a.baseAddress!, lda: lda,
                                  b: b.baseAddress!, ldb: ldb, beta: beta, c: c.baseAddress!, ldc: n)
                    } } }
                    let got = Array(batched.scalars[cOffset..<cOffset + m * n])
                    XCTAssertEqual(got, single, "\(library) product \(p) ta \(ta) tb \(tb) beta \(beta)")
                    var expected = naive(ap, bp, ta, tb).scalars
                    if beta == 1 { for i in expected.indices { expected[i] += start.scalars[cOffset + i] } }
                    assertCloseTensor(Tensor(shape: [m, n], values: got), Tensor(shape: [m, n], values: expected), tolerance: 1e-3)
                    XCTAssertEqual(batched.scalars[cOffset + m * n..<cOffset + m * n + gap], start.scalars[cOffset + m * n..<cOffset + m * n + gap])
                }
            } } }
        }
    }

    /// The bias-fused product (β = 1) equals the product plus the row in every row, split or
    /// not, with each library.
    func testMatmulAddingRow() {
        BLAS.forEachLinkedLibrary { _ in matmulAddingRowMatches() }
    }

    private func matmulAddingRowMatches() {
        let rng = RandomGenerator(seed: 9)
        for (m, n, k) in [(3, 5, 4), (101, 1201, 33)] {
            let a = rng.normal([m, k]), w = rng.normal([n, k]), row = rng.normal([n])
            let fused = Tensor.matmulAddingRow(a, w, transposeB: true, row: row)
            let plain = Tensor.matmul(a, w, transposeB: true)
            var expected = plain.scalars
            for i in 0..<m { for j in 0..<n { expected[i * n + j] += row[j] } }
            assertCloseTensor(fused, Tensor(shape: [m, n], values: expected), tolerance: 1e-4)
        }
    }

    /// Leading and trailing zero rows of `a` (the cotangent of a slice) skip the product: those
    /// output rows are +0 (or the added row), the rows between them (a zero row among them
    /// included) equal the reference, even with an infinity in `b` that a zero row would turn
    /// into NaN through sgemm; all-zero and transposed operands too, split or not.
    func testZeroRowsAtEitherEndSkipTheProduct() {
        let rng = RandomGenerator(seed: 10)
        for (m, n, k) in [(9, 5, 4), (301, 1201, 33)] {
            var values = rng.normal([m, k]).scalars
            let zeroRows = Set([0, 1, m / 2, m - 1])
            for i in zeroRows { for p in 0..<k { values[i * k + p] = i == 1 ? -0.0 : 0 } }
            let a = Tensor(shape: [m, k], values: values), b = rng.normal([k, n]), row = rng.normal([n])
            XCTAssertEqual(Tensor.nonzeroRows(a.pointer, rows: m, columns: k), 2..<(m - 1))
            var bWithInfinity = b.scalars
            bWithInfinity[0] = .infinity
            let product = Tensor.matmul(a, Tensor(shape: [k, n], values: bWithInfinity))
            let plus = Tensor.matmulAddingRow(a, b, row: row), plain = Tensor.matmul(a, b), reference = naive(a, b, false, false)
            for i in [0, 1, m - 1] {
                XCTAssertEqual((0..<n).map { product[i, $0].bitPattern }, [UInt32](repeating: 0, count: n), "row \(i) is +0")
                XCTAssertEqual((0..<n).map { plus[i, $0] }, row.scalars, "row \(i) is the added row")
            }
            XCTAssertTrue((0..<n).allSatisfy { product[m / 2, $0].isNaN || product[m / 2, $0] == 0 },
                          "a zero row between nonzero rows goes through sgemm")
            assertCloseTensor(plain, reference, tolerance: 1e-4)
            let transposed = Tensor.matmul(Tensor(shape: [k, m], values: (0..<(k * m)).map { a[$0 % m, $0 / m] }), b, transposeA: true)
            assertCloseTensor(transposed, reference, tolerance: 1e-4)
        }
        let zeros = Tensor(zeros: [4, 3]), b = RandomGenerator(seed: 11).normal([3, 2]), row = Tensor(shape: [2], values: [5, -6])
        XCTAssertEqual(Tensor.nonzeroRows(zeros.pointer, rows: 4, columns: 3), 0..<0)
        XCTAssertEqual(Tensor.matmul(zeros, b).scalars, [Float](repeating: 0, count: 8))
        XCTAssertEqual(Tensor.matmulAddingRow(zeros, b, row: row).scalars, [5, -6, 5, -6, 5, -6, 5, -6])
    }

    func testKernelSetNamesTheLibrary() {
        BLAS.forEachLinkedLibrary { library in
            XCTAssertTrue(BLAS.kernelSet.hasPrefix(library.rawValue), "\(BLAS.kernelSet) for \(library)")
            XCTAssertEqual(BLAS.batchLibrary, library, "forEachLinkedLibrary sets both libraries")
        }
    }

    /// Batched products leave oneDNN's sgemm only where its kernels are AVX2 (OpenBLAS's are
    /// as wide there and allocate nothing per call); `SWIFTGAN_GEMM` sets both libraries.
    func testBatchedProductsAvoidOneDNNOnlyWhereItRunsAVX2() {
        let forced = ProcessInfo.processInfo.environment["SWIFTGAN_GEMM"] != nil
        if BLAS.library == .oneDNN && !forced && !BLAS.kernelSet.hasPrefix("oneDNN avx512") {
            XCTAssertEqual(BLAS.batchLibrary, .openBLAS)
        } else {
            XCTAssertEqual(BLAS.batchLibrary, BLAS.library, BLAS.kernelSet)
        }
        let saved = BLAS.runAllProducts(on: .openBLAS)
        XCTAssertEqual(BLAS.batchLibrary, .openBLAS)
        BLAS.restore(saved)
        XCTAssertEqual(BLAS.library, saved.0)
        XCTAssertEqual(BLAS.batchLibrary, saved.1)
    }

    private func assertCloseTensor(_ a: Tensor, _ b: Tensor, tolerance: Float, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, file: file, line: line)
        let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, file: file, line: line)
    }
}
