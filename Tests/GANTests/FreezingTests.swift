@testable import GAN
@testable import GANAutograd
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

    /// The G step differentiates through D's activations but never asks any pullback for a
    /// cotangent of one of D's parameters (Linear/convolution weights and biases, batch-norm
    /// scales and shifts, label embeddings): D's weight gradients are not even formed. (The test
    /// above cannot tell: D's optimizer does not step in the G step either way.)
    func testGeneratorStepFormsNoDiscriminatorParameterGradient() throws {
        for model in TrainingConfig.Model.allCases {
            let (t, gParameters, dParameters) = try alternatingTrainer(model)
            var s = StepStatistics()
            let calls = BackwardRecorder.recording { t.generatorStep(reusing: nil, &s) }.calls
            XCTAssertFalse(s.nonFinite)
            XCTAssertEqual(calls.count, 1, "\(model): one backward pass per G step")
            for call in calls {
                let asked = identities(call.cotangentsAsked)
                XCTAssertTrue(asked.isDisjoint(with: dParameters), "\(model): the G step asked for a D parameter's cotangent")
                // Not vacuous: the pass went through D's layers and reached every G parameter.
                XCTAssertTrue(call.pullbacks.contains { $0.node.inputs.contains { dParameters.contains(ObjectIdentifier($0)) } },
                              "\(model): no pullback of a D layer ran")
                XCTAssertTrue(gParameters.isSubset(of: asked), "\(model): some G parameter got no cotangent")
            }
        }
    }

    /// The D step scores detached fakes: G's parameters and output are not in D's loss graph at
    /// all, so no pullback of G runs and no cotangent reaches G, even for the kept fakes that the
    /// G step reuses with their graph.
    func testDiscriminatorStepRunsNoGeneratorPullback() throws {
        for model in TrainingConfig.Model.allCases {
            let (t, gParameters, dParameters) = try alternatingTrainer(model)
            var s = StepStatistics()
            let (kept, calls) = BackwardRecorder.recording { t.discriminatorStep(keepFakes: true, &s) }
            XCTAssertFalse(s.nonFinite)
            let fake = try XCTUnwrap(kept?.fake)
            XCTAssertTrue(fake.requiresGradient, "\(model): the kept fakes carry G's graph")
            XCTAssertEqual(calls.count, 1, "\(model): one backward pass per D step")
            var gSide = gParameters
            gSide.insert(ObjectIdentifier(fake))
            for call in calls {
                XCTAssertTrue(identities(call.graph).isDisjoint(with: gSide), "\(model): D's loss depends on G (fakes not detached)")
                XCTAssertTrue(identities(call.pullbacks.map(\.node)).isDisjoint(with: gSide), "\(model): a G pullback ran in the D step")
                XCTAssertTrue(identities(call.cotangentsAsked).isDisjoint(with: gSide), "\(model): a cotangent reached G in the D step")
                XCTAssertTrue(dParameters.isSubset(of: identities(call.cotangentsAsked)), "\(model): some D parameter got no cotangent")
            }
        }
    }

    func identities(_ variables: [Variable]) -> Set<ObjectIdentifier> { Set(variables.map(ObjectIdentifier.init)) }

    /// A small alternating trainer of `model` with its schedules applied, and the identities of
    /// G's and D's parameters.
    func alternatingTrainer(_ model: TrainingConfig.Model) throws -> (Trainer, g: Set<ObjectIdentifier>, d: Set<ObjectIdentifier>) {
        var c = smallConfig(model)
        c.update = .alternating
        let t = try Trainer(config: c, data: data(for: c))
        t.applySchedules()
        return (t, identities(t.model.generator.parameters), identities(t.model.discriminator.parameters))
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
