@testable import GAN
import XCTest

/// What D's statistics mean: accuracies per loss, and the adaptive L2 coefficient they drive.
final class TrainerStatisticsTests: XCTestCase {
    func testAccuracyThresholdIsTheMidpointOfTheLossTargets() {
        let real = Tensor(shape: [4], repeating: 0.9), fake = Tensor(shape: [4], repeating: 0.1)
        // Least-squares drives real outputs to 1 and fake ones to 0: 0.9 and 0.1 are both right.
        let ls = GANLoss.leastSquares.accuracies(real: real, fake: fake)
        XCTAssertEqual(ls.real, 1)
        XCTAssertEqual(ls.fake, 1)
        let mixed = GANLoss.leastSquares.accuracies(real: Tensor(shape: [2], values: [0.4, 0.6]), fake: Tensor(shape: [2], values: [0.4, 0.6]))
        XCTAssertEqual(mixed.real, 0.5)
        XCTAssertEqual(mixed.fake, 0.5)
        // For the logistic and hinge losses the outputs are logits/margins: 0.1 > 0 calls a fake real.
        for loss in [GANLoss.nonsaturating, .minimax, .hinge, .wasserstein] {
            let a = loss.accuracies(real: real, fake: fake)
            XCTAssertEqual(a.real, 1, "\(loss)")
            XCTAssertEqual(a.fake, 0, "\(loss)")
        }
    }

    func testAdaptiveL2NeverUnderflowsToZeroAndRisesAgain() throws {
        var c = smallConfig(.toy)
        c.adaptiveL2 = true
        let t = try Trainer(config: c, data: data(for: c))
        // G ahead for a long time: λ ÷ 1.5 per step would reach exactly 0 after about 230 steps.
        for _ in 0..<300 { t.adaptL2(fakeAccuracy: 0.1) }
        XCTAssertEqual(t.l2Lambda, c.l2Initial / 1000)
        let floor = t.l2Lambda
        t.adaptL2(fakeAccuracy: 0.99)
        XCTAssertEqual(t.l2Lambda, floor * c.l2Factor, accuracy: floor * 1e-5)
        // A λ of 0 saved by an older checkpoint rises from the floor as well.
        t.l2Lambda = 0
        t.adaptL2(fakeAccuracy: 0.99)
        XCTAssertGreaterThan(t.l2Lambda, 0)
    }
}
