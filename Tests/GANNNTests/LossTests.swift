import GANNN
import GANTestSupport
import XCTest

final class LossTests: XCTestCase {
    func testBinaryCrossEntropyIsStableAndDifferentiable() {
        let x = randomVariable([9], low: -4, high: 4, seed: 110)
        let t = Tensor(shape: [9], values: [1, 0, 0.9, 1, 0, 0.9, 0.5, 1, 0])
        assertGradientsMatchFiniteDifferences(wrt: [x]) { binaryCrossEntropy(logits: x, targets: t) }
        for target: Float in [0, 1, 0.9] {
            assertGradientsMatchFiniteDifferences(wrt: [x], "target \(target)") { binaryCrossEntropy(logits: x, target: target) }
            let a = binaryCrossEntropy(logits: x, target: target).value.item
            let b = binaryCrossEntropy(logits: x, targets: Tensor(shape: [9], repeating: target)).value.item
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
        // Huge logits: the sigmoid + log form would give inf or NaN.
        let big = Variable(Tensor(shape: [2], values: [100, -100]))
        XCTAssertEqual(binaryCrossEntropy(logits: big, target: 0).value.item, 50, accuracy: 1e-4)
        XCTAssertEqual(binaryCrossEntropy(logits: big, target: 1).value.item, 50, accuracy: 1e-4)
    }

    func testOtherLosses() {
        let x = randomVariable([3, 4], seed: 111), y = randomVariable([3, 4], seed: 112)
        assertGradientsMatchFiniteDifferences(wrt: [x, y]) { meanSquaredError(x, y) }
        assertGradientsMatchFiniteDifferences(wrt: [x]) { hingeLoss(x * 3, sign: 1) }
        assertGradientsMatchFiniteDifferences(wrt: [x]) { crossEntropy(logits: x, labels: [3, 0, 2]) }
        // Cross-entropy of uniform logits is log(classes).
        XCTAssertEqual(crossEntropy(logits: Variable(Tensor(zeros: [2, 10])), labels: [1, 9]).value.item, log(10), accuracy: 1e-6)
        XCTAssertEqual(hingeLoss(Variable(Tensor(shape: [2], values: [2, 0.5])), sign: 1).value.item, 0.25, accuracy: 1e-7)
    }
}
