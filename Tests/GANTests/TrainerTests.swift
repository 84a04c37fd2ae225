@testable import GAN
import Foundation
import XCTest

/// The training iteration's schedule and targets: one-sided label smoothing, k D steps per G
/// step, and the annealing of instance noise.
final class TrainerTests: XCTestCase {
    /// With D pinned to the constant logit b, the losses show the targets that were used: real
    /// targets smoothed to 0.9, fake targets still 0 (one-sided), and G's targets unsmoothed.
    func testLabelSmoothingIsOneSidedAndLeavesTheGeneratorLossAlone() throws {
        for loss in [GANLoss.nonsaturating, .minimax] {
            var c = smallConfig(.toy, loss: loss)
            c.realLabel = 0.9
            let t = try Trainer(config: c, data: data(for: c))
            t.applySchedules()
            let b: Float = 0.7
            /// BCE(logit b, target y) = y·softplus(−b) + (1 − y)·softplus(b).
            func bce(_ y: Float) -> Float { y * softplus(-b) + (1 - y) * softplus(b) }
            var s = StepStatistics()

            pinDiscriminator(t, logit: b)
            t.generatorStep(reusing: nil, &s)
            let expectedG = loss == .nonsaturating ? bce(1) : -bce(0)
            XCTAssertEqual(s.lossG, expectedG, accuracy: 1e-5, "\(loss): G's targets are not the smoothed 0.9")

            pinDiscriminator(t, logit: b)
            _ = t.discriminatorStep(keepFakes: false, &s)
            XCTAssertEqual(s.lossD, c.dLossScale * (bce(0.9) + bce(0)), accuracy: 1e-5, "\(loss): real targets 0.9, fake targets 0")
        }
    }

    /// Every weight of D zero and its output bias `logit`: D(x) = logit for every input.
    private func pinDiscriminator(_ t: Trainer, logit: Float) {
        for p in t.model.discriminator.parameters { p.value = Tensor(zeros: p.shape) }
        let outputBias = t.model.discriminator.parameters.filter { $0.shape == [1] }
        XCTAssertEqual(outputBias.count, 1)
        outputBias.first?.value = Tensor(shape: [1], repeating: logit)
    }

    private func softplus(_ x: Float) -> Float { Foundation.log(1 + Foundation.exp(x)) }

    func testAlternatingIterationTakesDStepsDUpdatesPerGStepsGUpdates() throws {
        for (dSteps, gSteps) in [(3, 1), (1, 2)] {
            var c = smallConfig(.toy)
            c.update = .alternating
            c.dSteps = dSteps
            c.gSteps = gSteps
            let t = try Trainer(config: c, data: data(for: c))
            for iteration in 1...2 {
                XCTAssertFalse(t.trainStep().nonFinite)
                XCTAssertEqual(t.optimizerD.stepCount, iteration * dSteps, "D updates after \(iteration) iterations with --d-steps \(dSteps)")
                XCTAssertEqual(t.optimizerG.stepCount, iteration * gSteps, "G updates after \(iteration) iterations with --g-steps \(gSteps)")
                XCTAssertEqual(t.step, iteration)
            }
        }
    }

    /// σ falls linearly from `instanceNoise` and is exactly 0 from `instanceNoiseSteps` on.
    func testInstanceNoiseAnnealsToZeroAtInstanceNoiseSteps() throws {
        var c = smallConfig(.toy)
        c.instanceNoise = 0.5
        c.instanceNoiseSteps = 10
        let t = try Trainer(config: c, data: data(for: c))
        let x = Variable(Tensor(zeros: [8192, 2]))
        for (step, sigma) in [(0, 0.5), (5, 0.25), (9, 0.05), (10, 0), (11, 0), (1000, 0)] as [(Int, Float)] {
            t.step = step
            let noisy = t.withInstanceNoise(x).value
            let std = (noisy.sumOfSquares() / Double(noisy.count)).squareRoot()
            XCTAssertEqual(Float(std), sigma, accuracy: 0.03 * max(sigma, 0.01), "σ at step \(step)")
        }
    }
}
