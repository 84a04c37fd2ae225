import Foundation
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

    /// A row of −∞ has log-sum-exp −∞ (PyTorch's value); a finite row is unchanged by the guard.
    func testLogSumExpOfMinusInfinityRows() {
        let x = Variable(Tensor(shape: [2, 3], values: [-.infinity, -.infinity, -.infinity, 1, 2, 3]))
        let y = x.logSumExp(axis: 1).value.scalars
        XCTAssertEqual(y[0], -.infinity)
        XCTAssertEqual(y[1], Float(3 + Foundation.log(1 + exp(-1.0) + exp(-2.0))), accuracy: 1e-5)
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
        // Five parts: inputs and cotangents past the three an op holds inline.
        assertGradientsMatchFiniteDifferences(wrt: [a, b], "concat of five") { concat([b, a, b, b, a], axis: 1) }
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
    /// Gradients of gradients through matmul (all transpose combinations), the row gather and the
    /// last-axis maximum (its routing is a constant: second derivative through the selected
    /// entries only), by finite differences of the first gradient's squared norm.
    func testSecondDerivativesOfMatmulGatherAndMax() {
        let r = Variable(RandomGenerator(seed: 23).normal([3, 4]))
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = randomVariable(ta ? [5, 3] : [3, 5], seed: 21)
            let b = randomVariable(tb ? [4, 5] : [5, 4], seed: 22)
            // The first gradient with respect to a is r·bᵀ: its squared norm depends on b only.
            assertGradientsMatchFiniteDifferences(wrt: [a, b], rtol: 3e-2, "matmul second derivative, transposeA \(ta) transposeB \(tb)") {
                let ga = gradients(of: (matmul(a, b, transposeA: ta, transposeB: tb) * r).sum(), wrt: [a], createGraph: true)[0]
                return (ga * ga).sum()
            }
        }
        let x = randomVariable([4, 3], seed: 24)
        let rows = Variable(RandomGenerator(seed: 25).normal([5, 3]))
        assertGradientsMatchFiniteDifferences(wrt: [x], rtol: 3e-2, "gatherRows second derivative") {
            let g = gradients(of: (x.gatherRows([3, 0, 3, 1, 2]) * rows * x.gatherRows([3, 0, 3, 1, 2])).sum(), wrt: [x], createGraph: true)[0]
            return (g * g).sum()
        }
        let m = randomVariable([3, 6], seed: 26)
        let s = Variable(RandomGenerator(seed: 27).normal([3]))
        assertGradientsMatchFiniteDifferences(wrt: [m], rtol: 3e-2, "maxAlongLastAxis second derivative") {
            let g = gradients(of: (m.maxAlongLastAxis().squared() * s).sum(), wrt: [m], createGraph: true)[0]
            return (g * g).sum()
        }
    }
}
