@testable import GAN
import XCTest

/// For every model and every loss: the D step leaves G's parameters and optimizer state
/// bit-identical, and the G step leaves D's. (Batch-norm running statistics are buffers, not
/// parameters: a player's forward pass in training mode moves its own, as in PyTorch.)
final class GANFreezingTests: XCTestCase {
    func testEachStepTouchesOnlyItsOwnPlayer() throws {
        for model in TrainingConfig.Model.allCases {
            for loss in GANLoss.allCases {
                var c = smallConfig(model, loss: loss)
                c.update = .alternating
                c.optimizer = .adam
                let t = try Trainer(config: c, data: data(for: c))
                var s = StepStatistics()
                t.applySchedules()
                // Warm both optimizers so their moments are non-zero.
                _ = t.discriminatorStep(keepFakes: false, &s)
                t.generatorStep(reusing: nil, &s)

                let gBefore = trained(t.model.generator, t.optimizerG)
                let dBefore = trained(t.model.discriminator, t.optimizerD)
                let kept = t.discriminatorStep(keepFakes: true, &s)
                XCTAssertEqual(differing(trained(t.model.generator, t.optimizerG), gBefore), [], "D step changed G: \(model) \(loss)")
                XCTAssertNotEqual(differing(trained(t.model.discriminator, t.optimizerD), dBefore), [], "D did not move: \(model) \(loss)")

                let dAfterDStep = trained(t.model.discriminator, t.optimizerD)
                t.generatorStep(reusing: kept, &s)
                XCTAssertEqual(differing(trained(t.model.discriminator, t.optimizerD), dAfterDStep), [], "G step changed D: \(model) \(loss)")
                XCTAssertNotEqual(differing(trained(t.model.generator, t.optimizerG), gBefore), [], "G did not move: \(model) \(loss)")
                XCTAssertFalse(s.nonFinite)
            }
        }
    }

    /// Parameters and optimizer state (no buffers).
    func trained(_ module: Module, _ optimizer: Optimizer) -> [String: Tensor] {
        snapshot(module, optimizer).filter { !$0.key.contains("running_") && !$0.key.contains("num_batches_tracked") }
    }

    /// Names whose tensors differ between two snapshots.
    func differing(_ a: [String: Tensor], _ b: [String: Tensor]) -> [String] {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }
}
