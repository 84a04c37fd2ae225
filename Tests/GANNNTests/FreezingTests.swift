import GANNN
import GANTestSupport
import XCTest

/// The two halves of a GAN step touch only their own player.
final class FreezingTests: XCTestCase {
    func makePlayers() -> (g: Sequential, d: Sequential) {
        let rng = RandomGenerator(seed: 130)
        let g = Sequential { Linear(4, 8, rng: rng); BatchNorm1d(8); ReLU(); Linear(8, 6, rng: rng); Tanh() }
        let d = Sequential { Linear(6, 8, rng: rng); LeakyReLU(negativeSlope: 0.2); Dropout(probability: 0.3, rng: rng); Linear(8, 1, rng: rng) }
        return (g, d)
    }

    func snapshot(_ m: Module, _ o: Optimizer) -> [String: Tensor] {
        var s = m.stateDict().filter { !$0.key.contains("running") && !$0.key.contains("num_batches") }
        for (k, v) in o.stateTensors() { s["opt." + k] = v }
        return s
    }

    func testGeneratorStepLeavesTheDiscriminatorBitIdentical() {
        let (g, d) = makePlayers()
        let optG = Adam(g.namedParameters(), learningRate: 1e-2, beta1: 0.5)
        let optD = Adam(d.namedParameters(), learningRate: 1e-2, beta1: 0.5)
        let rng = RandomGenerator(seed: 131)
        // One D step first, so D's moments are non-zero.
        optD.minimize(binaryCrossEntropy(logits: d(g(Variable(rng.normal([5, 4]))).detached()), target: 0))
        let before = snapshot(d, optD)
        let gBefore = g.stateDict()
        let grads = optG.minimize(binaryCrossEntropy(logits: d(g(Variable(rng.normal([5, 4])))), target: 1))
        XCTAssertEqual(snapshot(d, optD), before)
        XCTAssertNotEqual(g.stateDict(), gBefore, "G must have moved")
        XCTAssertTrue(grads.contains { $0.sumAll() != 0 }, "the gradient flowed through D into G")
    }

    func testDiscriminatorStepOnDetachedFakesLeavesTheGeneratorBitIdentical() {
        let (g, d) = makePlayers()
        let optG = Adam(g.namedParameters(), learningRate: 1e-2)
        let optD = Adam(d.namedParameters(), learningRate: 1e-2)
        let rng = RandomGenerator(seed: 132)
        optG.minimize(binaryCrossEntropy(logits: d(g(Variable(rng.normal([5, 4])))), target: 1))
        let before = snapshot(g, optG)
        let fake = g(Variable(rng.normal([5, 4]))).detached()
        let real = Variable(rng.uniform([5, 6], low: -1, high: 1))
        let lossD = binaryCrossEntropy(logits: d(real), target: 1) + binaryCrossEntropy(logits: d(fake), target: 0)
        // Even differentiating with respect to G's parameters gives zeros: the fakes are detached.
        XCTAssertTrue(gradients(of: lossD, wrt: g.parameters).allSatisfy { $0.value.scalars.allSatisfy { $0 == 0 } })
        optD.minimize(lossD)
        XCTAssertEqual(snapshot(g, optG), before)
    }
}
