import GANAutograd
import GANTestSupport
import XCTest

final class ReductionAndShapeGradientTests: XCTestCase {
    func testSumsAndMeans() {
        let x = randomVariable([3, 4, 5], seed: 10)
        assertGradientsMatchFiniteDifferences(wrt: [x], "sum") { x.sum() }
        assertGradientsMatchFiniteDifferences(wrt: [x], "sum axis 1") { x.sum(axes: [1]) }
        assertGradientsMatchFiniteDifferences(wrt: [x], "sum axes 0,2 keep") { x.sum(axes: [0, 2], keepDims: true) }
        assertGradientsMatchFiniteDifferences(wrt: [x], "mean -1") { x.mean(axes: [-1]) }
        assertGradientsMatchFiniteDifferences(wrt: [x], "mean") { x.mean() }
    }

    func testReductionValues() {
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.sum(axes: [0]).scalars, [5, 7, 9])
        XCTAssertEqual(x.sum(axes: [1]).scalars, [6, 15])
        XCTAssertEqual(x.sum(axes: [0, 1]).scalars, [21])
        XCTAssertEqual(Tensor(shape: [2, 3, 2], values: (0..<12).map(Float.init)).sum(axes: [0, 2]).scalars, [14, 22, 30])
        XCTAssertEqual(x.sum(toShape: [1, 3]).scalars, [5, 7, 9])
        XCTAssertEqual(x.sum(toShape: [3]).scalars, [5, 7, 9])
        XCTAssertEqual(x.sum(toShape: [2, 1]).scalars, [6, 15])
    }

    func testMaxAlongLastAxisRoutesGradientToTheMaximum() {
        let x = randomVariable([4, 3, 5], seed: 11)   // distinct values with probability 1
        assertGradientsMatchFiniteDifferences(wrt: [x]) { x.maxAlongLastAxis() }
        let y = Variable(Tensor(shape: [1, 3], values: [1, 9, 2]), requiresGradient: true)
        XCTAssertEqual(gradients(of: y.maxAlongLastAxis().sum(), wrt: [y])[0].value.scalars, [0, 1, 0])
    }

    func testLogSoftmax() {
        let x = randomVariable([3, 7], low: -3, high: 3, seed: 12)
        assertGradientsMatchFiniteDifferences(wrt: [x]) { x.logSoftmax(axis: 1) }
        let probabilities = x.logSoftmax(axis: 1).exp().sum(axes: [1]).value.scalars
        for p in probabilities { XCTAssertEqual(p, 1, accuracy: 1e-5) }
    }

    func testReshapeSliceConcatPad() {
        let a = randomVariable([2, 3, 5], seed: 13)
        let b = randomVariable([2, 1, 5], seed: 14)
        assertGradientsMatchFiniteDifferences(wrt: [a]) { a.reshaped([5, -1]) }
        assertGradientsMatchFiniteDifferences(wrt: [a, b], "concat axis 1") { concat([a, b, a], axis: 1) }
        assertGradientsMatchFiniteDifferences(wrt: [a]) { a.slice(axis: 2, start: 1, length: 3) }
        assertGradientsMatchFiniteDifferences(wrt: [b]) { b.padded(axis: 1, before: 2, total: 4) }
        let c = concat([Variable(Tensor(shape: [1, 2], values: [1, 2])), Variable(Tensor(shape: [1, 1], values: [3]))], axis: 1)
        XCTAssertEqual(c.value.scalars, [1, 2, 3])
    }

    func testGatherRowsAccumulatesRepeatedIndices() {
        let table = randomVariable([5, 3], seed: 15)
        let indices = [4, 0, 4, 2]
        assertGradientsMatchFiniteDifferences(wrt: [table]) { table.gatherRows(indices) }
        let g = gradients(of: table.gatherRows(indices).sum(), wrt: [table])[0].value
        XCTAssertEqual(g.scalars, [1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2])
    }

    func testMatmulAllTransposeCombinations() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = randomVariable(ta ? [5, 3] : [3, 5], seed: 16)
            let b = randomVariable(tb ? [4, 5] : [5, 4], seed: 17)
            assertGradientsMatchFiniteDifferences(wrt: [a, b], "transposeA \(ta) transposeB \(tb)") {
                matmul(a, b, transposeA: ta, transposeB: tb)
            }
        }
        let x = randomVariable([3, 7], seed: 18), w = randomVariable([5, 7], seed: 19), bias = randomVariable([5], seed: 20)
        assertGradientsMatchFiniteDifferences(wrt: [x, w, bias], "linear") { linear(x, weight: w, bias: bias) }
    }

    func testMatmulValues() {
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], values: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(Tensor.matmul(a, b).scalars, [58, 64, 139, 154])
        XCTAssertEqual(Tensor.matmul(b, a, transposeA: true, transposeB: true).scalars, [58, 139, 64, 154])
    }
}
