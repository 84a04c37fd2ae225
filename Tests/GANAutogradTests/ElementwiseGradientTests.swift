import GANAutograd
import GANTestSupport
import XCTest

/// Finite-difference checks of every elementwise and broadcasting op, on odd shapes.
final class ElementwiseGradientTests: XCTestCase {
    func testBinaryOpsWithBroadcasting() {
        // [3, 1, 5] ⊕ [4, 1] → [3, 4, 5]: both operands broadcast.
        let a = randomVariable([3, 1, 5], seed: 1)
        let b = randomVariable([4, 1], low: 0.5, high: 1.5, seed: 2)
        assertGradientsMatchFiniteDifferences(wrt: [a, b], "add") { a + b }
        assertGradientsMatchFiniteDifferences(wrt: [a, b], "subtract") { a - b }
        assertGradientsMatchFiniteDifferences(wrt: [a, b], "multiply") { a * b }
        assertGradientsMatchFiniteDifferences(wrt: [a, b], "divide") { a / b }
    }

    func testChannelBroadcastLikeBatchNormBias() {
        let x = randomVariable([2, 3, 4, 5], seed: 3)
        let b = randomVariable([1, 3, 1, 1], seed: 4)
        assertGradientsMatchFiniteDifferences(wrt: [x, b]) { x * b + b }
    }

    func testScalarOps() {
        let x = randomVariable([7], low: 0.5, high: 2, seed: 5)
        assertGradientsMatchFiniteDifferences(wrt: [x]) { (x * 3 + 2 - x / 4).pow(1.5) }
        assertGradientsMatchFiniteDifferences(wrt: [x]) { 1 - (-x) }
    }

    func testUnaryFunctions() {
        let x = randomVariable([3, 7], low: -2, high: 2, seed: 6)
        let positive = randomVariable([3, 7], low: 0.2, high: 3, seed: 7)
        assertGradientsMatchFiniteDifferences(wrt: [x], "exp") { x.exp() }
        assertGradientsMatchFiniteDifferences(wrt: [positive], "log") { positive.log() }
        assertGradientsMatchFiniteDifferences(wrt: [positive], "sqrt") { positive.sqrt() }
        assertGradientsMatchFiniteDifferences(wrt: [x], "tanh") { x.tanh() }
        assertGradientsMatchFiniteDifferences(wrt: [x], "sigmoid") { x.sigmoid() }
        assertGradientsMatchFiniteDifferences(wrt: [x], "softplus") { x.softplus() }
    }

    /// Gradients of gradients: each op's pullback is written in differentiable ops, so the first
    /// gradient, recorded with a cotangent r, is differentiated again and checked by finite
    /// differences of its squared norm (second derivatives by Float32 central differences: 3%).
    /// Pow at several exponents, including 2 and a negative one.
    func testSecondDerivativesOfElementwiseOps() {
        let x = randomVariable([2, 5], low: -1.5, high: 1.5, seed: 11)
        let positive = randomVariable([2, 5], low: 0.4, high: 2, seed: 12)
        let other = randomVariable([1, 5], low: 0.5, high: 1.5, seed: 13)
        let r = Variable(RandomGenerator(seed: 14).normal([2, 5]))
        let ops: [(String, Variable, () -> Variable)] = [
            ("exp", x, { x.exp() }), ("log", positive, { positive.log() }), ("sqrt", positive, { positive.sqrt() }),
            ("sigmoid", x, { x.sigmoid() }), ("softplus", x, { x.softplus() }), ("tanh", x, { x.tanh() }),
            ("pow 2", x, { x.pow(2) }), ("pow 1.5", positive, { positive.pow(1.5) }), ("pow -0.5", positive, { positive.pow(-0.5) }),
            ("divide", positive, { other / positive }), ("multiply", x, { x * x * other }),
        ]
        for (name, input, f) in ops {
            assertGradientsMatchFiniteDifferences(wrt: [input, other], rtol: 3e-2, "second derivative, \(name)") {
                let g = gradients(of: (f() * r).sum(), wrt: [input], createGraph: true)[0]
                return (g * g).sum()
            }
        }
    }

    /// x⁰ = 1 has derivative 0 everywhere, at x = 0 too (PyTorch's value; 0·x⁻¹ there is NaN).
    func testPowZeroHasZeroGradientAtZero() {
        let x = Variable(Tensor(shape: [3], values: [0, -2, 5]), requiresGradient: true)
        XCTAssertEqual(gradients(of: x.pow(0).sum(), wrt: [x])[0].value.scalars, [0, 0, 0])
    }

    func testPiecewiseLinearAwayFromKinks() {
        // Values at least 0.1 from 0 so ±ε never crosses the kink.
        var values = RandomGenerator(seed: 8).uniform([5, 9], low: 0.1, high: 2)
        values = Tensor.combine(values, RandomGenerator(seed: 9).bernoulli([5, 9], probability: 0.5), op: "sign") {
            $1 > 0 ? $0 : -$0
        }
        let x = Variable(values, requiresGradient: true)
        assertGradientsMatchFiniteDifferences(wrt: [x], "relu") { x.relu() }
        assertGradientsMatchFiniteDifferences(wrt: [x], "leakyRelu") { x.leakyRelu(slope: 0.2) }
        assertGradientsMatchFiniteDifferences(wrt: [x], "abs") { x.abs() }
    }

    func testStableFunctionsAtExtremes() {
        let x = Variable(Tensor(shape: [4], values: [-100, -30, 30, 100]))
        XCTAssertEqual(x.softplus().value.scalars, [Float(exp(-100.0)), Float(exp(-30.0)), 30, 100])
        XCTAssertEqual(x.sigmoid().value.scalars[3], 1)
        XCTAssertEqual(x.sigmoid().value.scalars[0], Float(exp(-100.0)))
        XCTAssertTrue(x.softplus().value.isFinite)
    }
}
