@testable import GAN
import XCTest

final class ConfigTests: XCTestCase {
    func testContradictionsAreReportedByFlag() {
        func problem(_ edit: (inout TrainingConfig) -> Void) -> String {
            var c = TrainingConfig.preset(.dcgan)
            edit(&c)
            do { try c.validate(); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(problem { _ in }, "")
        XCTAssertTrue(problem { $0.update = .simultaneous; $0.dSteps = 2 }.contains("--update simultaneous"))
        XCTAssertTrue(problem { $0.loss = .hinge; $0.realLabel = 0.9 }.contains("--real-label"))
        XCTAssertTrue(problem { $0.batchSize = 1 }.contains("--batch-size"))
        XCTAssertTrue(problem { $0.steps = nil; $0.epochs = nil }.contains("--steps/--epochs"))
        XCTAssertTrue(problem { $0.model = .cgan; $0.dataset = "ring8" }.contains("conditional"))
        XCTAssertTrue(problem { $0.noise = .uniform; $0.noiseLow = 1; $0.noiseHigh = -1 }.contains("--noise-low"))
    }

    func testPresetsFollowThePublishedRecipes() {
        let mlp = TrainingConfig.preset(.mlp)
        XCTAssertEqual(mlp.batchSize, 100)
        XCTAssertEqual(mlp.trainLimit, 50_000)
        XCTAssertEqual(mlp.update, .simultaneous)
        XCTAssertEqual(mlp.lrDecayFactor, 1.000004)
        XCTAssertEqual(mlp.noiseHigh, Float(3).squareRoot())
        // The conditional recipe takes mlp's noise, not its paper's U(0, 1) (a documented deviation).
        XCTAssertEqual(TrainingConfig.preset(.cgan).noiseLow, -Float(3).squareRoot())
        XCTAssertEqual(TrainingConfig.preset(.cgan).noiseHigh, Float(3).squareRoot())
        let dcgan = TrainingConfig.preset(.dcgan)
        XCTAssertEqual(dcgan.lrG, 2e-4)
        XCTAssertEqual(dcgan.beta1D, 0.5)
        XCTAssertEqual(dcgan.loss, .nonsaturating)
    }

    func testLossesMatchTheirDefinitions() {
        let r = Variable(Tensor(shape: [2], values: [2, -1])), f = Variable(Tensor(shape: [2], values: [0.5, -3]))
        func sp(_ x: Float) -> Float { log(1 + exp(x)) }
        let ones = Tensor(ones: [2]), zeros = Tensor(zeros: [2])
        let bceD = (sp(-2) + sp(1)) / 2 + (sp(0.5) + sp(-3)) / 2
        XCTAssertEqual(GANLoss.nonsaturating.discriminatorLoss(real: r, fake: f, realTargets: ones, fakeTargets: zeros).value.item, bceD, accuracy: 1e-5)
        XCTAssertEqual(GANLoss.nonsaturating.generatorLoss(fake: f).value.item, (sp(-0.5) + sp(3)) / 2, accuracy: 1e-5)
        XCTAssertEqual(GANLoss.minimax.generatorLoss(fake: f).value.item, -(sp(0.5) + sp(-3)) / 2, accuracy: 1e-5, "log(1 − σ(f)) = −softplus(f)")
        XCTAssertEqual(GANLoss.hinge.discriminatorLoss(real: r, fake: f, realTargets: ones, fakeTargets: zeros).value.item, (0 + 2) / 2 + (1.5 + 0) / 2, accuracy: 1e-6)
        XCTAssertEqual(GANLoss.wasserstein.discriminatorLoss(real: r, fake: f, realTargets: ones, fakeTargets: zeros).value.item, -1.25 - 0.5, accuracy: 1e-6)
        XCTAssertEqual(GANLoss.leastSquares.generatorLoss(fake: f).value.item, 0.5 * (0.25 + 16) / 2, accuracy: 1e-6)
    }
}
