import Foundation
import GANNN
import GANTestSupport
import XCTest

final class OptimizerTests: XCTestCase {
    func testAdamClosedFormFirstStep() {
        // After one bias-corrected step every element moves by ≈ lr·sign(g).
        let p = Variable(Tensor(shape: [3], values: [1, 2, 3]), requiresGradient: true)
        let adam = Adam([("p", p)], learningRate: 0.1)
        adam.step([Tensor(shape: [3], values: [0.5, -2, 1e-3])])
        assertClose(p.value, Tensor(shape: [3], values: [0.9, 2.1, 2.9]), rtol: 1e-5, atol: 1e-5)
        XCTAssertEqual(adam.stepCount, 1)
    }

    /// The update runs 16 lanes at a time plus a scalar tail: over 37 values (two blocks and a
    /// tail), five steps, with and without weight decay, it equals the textbook scalar Adam
    /// (PyTorch's formula, bias corrections in Double) bit for bit.
    func testAdamMatchesScalarReferenceBitForBit() {
        for weightDecay: Float in [0, 0.01] {
            let rng = RandomGenerator(seed: 77)
            let start = rng.normal([37])
            let p = Variable(start, requiresGradient: true)
            let adam = Adam([("p", p)], learningRate: 0.01, beta1: 0.5, beta2: 0.999, weightDecay: weightDecay)
            var reference = start.scalars, m = [Float](repeating: 0, count: 37), v = m
            for t in 1...5 {
                let g = rng.normal([37])
                adam.step([g])
                let stepSize = Float(Double(Float(0.01)) / (1 - Foundation.pow(0.5, Double(t))))  // lr is a Float
                let correction2 = Float((1 - Foundation.pow(0.999, Double(t))).squareRoot())
                for j in 0..<37 {
                    let grad = weightDecay == 0 ? g[j] : g[j] + weightDecay * reference[j]
                    m[j] = Float(0.5 as Double) * m[j] + Float(1 - 0.5 as Double) * grad
                    v[j] = Float(0.999 as Double) * v[j] + Float(1 - 0.999 as Double) * grad * grad
                    reference[j] -= stepSize * m[j] / (v[j].squareRoot() / correction2 + 1e-8)
                }
                XCTAssertEqual(p.value.scalars, reference, "step \(t), weight decay \(weightDecay)")
            }
        }
    }

    /// SGD's update also runs 16 lanes at a time: over 37 values (two blocks and a short one),
    /// four steps, it equals the scalar formulas of its doc comment bit for bit in every
    /// variant: no momentum, classical, PyTorch's with dampening, Nesterov, each with and without
    /// weight decay.
    func testSGDMatchesScalarReferenceBitForBit() {
        let variants: [(momentum: Float, dampening: Float, nesterov: Bool, style: SGD.MomentumStyle)] = [
            (0, 0, false, .pytorch), (0.7, 0, false, .classical), (0.7, 0.25, false, .pytorch), (0.7, 0, true, .pytorch)]
        for variant in variants {
            for weightDecay: Float in [0, 0.01] {
                let rng = RandomGenerator(seed: 78)
                let start = rng.normal([37])
                let p = Variable(start, requiresGradient: true)
                let sgd = SGD([("p", p)], learningRate: 0.05, momentum: variant.momentum, dampening: variant.dampening,
                              weightDecay: weightDecay, nesterov: variant.nesterov, style: variant.style)
                var reference = start.scalars, buffer = [Float](repeating: 0, count: 37)
                for t in 1...4 {
                    let g = rng.normal([37])
                    sgd.step([g])
                    for j in 0..<37 {
                        let grad = weightDecay == 0 ? g[j] : g[j] + weightDecay * reference[j]
                        if variant.momentum == 0 {
                            reference[j] = reference[j] - 0.05 * grad
                        } else if variant.style == .classical {
                            buffer[j] = variant.momentum * buffer[j] - 0.05 * grad
                            reference[j] = reference[j] + buffer[j]
                        } else {
                            buffer[j] = t == 1 ? grad : variant.momentum * buffer[j] + (1 - variant.dampening) * grad
                            reference[j] = reference[j] - 0.05 * (variant.nesterov ? grad + variant.momentum * buffer[j] : buffer[j])
                        }
                    }
                    XCTAssertEqual(p.value.scalars, reference, "step \(t), \(variant), weight decay \(weightDecay)")
                }
            }
        }
    }

    func testSGDClassicalAndPyTorchMomentumAgreeAtConstantRate() {
        let a = Variable(Tensor(shape: [2], values: [1, -1]), requiresGradient: true)
        let b = Variable(Tensor(shape: [2], values: [1, -1]), requiresGradient: true)
        let pt = SGD([("a", a)], learningRate: 0.1, momentum: 0.5)
        let cl = SGD([("b", b)], learningRate: 0.1, momentum: 0.5, style: .classical)
        for g in [[0.3, 0.1], [-0.2, 0.4], [0.5, 0.5]] as [[Float]] {
            pt.step([Tensor(shape: [2], values: g)])
            cl.step([Tensor(shape: [2], values: g)])
        }
        assertClose(a.value, b.value, rtol: 1e-6)
    }

    func testOptimizersConvergeOnLinearRegression() {
        // Fit y = 0.25x + 7 (as MLX's checkTrain).
        let rng = RandomGenerator(seed: 120)
        let x = rng.uniform([64, 1], low: -1, high: 1)
        let y = x * 0.25 + 7
        for make in [{ (m: Module) -> Optimizer in Adam(m.namedParameters(), learningRate: 0.1) },
                     { (m: Module) -> Optimizer in SGD(m.namedParameters(), learningRate: 0.1, momentum: 0.9, nesterov: true) }] {
            let model = Linear(1, 1, rng: RandomGenerator(seed: 121))
            let opt = make(model)
            var loss: Float = .infinity
            for _ in 0..<300 {
                let l = meanSquaredError(model(Variable(x)), Variable(y))
                loss = l.value.item
                opt.minimize(l)
            }
            XCTAssertLessThan(loss, 1e-3, "\(type(of: opt))")
        }
    }

    func testSchedules() {
        let e = ExponentialDecaySchedule(initial: 0.1, factor: 1.000004, minimum: 1e-6)
        XCTAssertEqual(e.value(atStep: 0), 0.1)
        XCTAssertEqual(e.value(atStep: 125_000), 0.0607, accuracy: 1e-4, "the protocol's figure after 250 epochs")
        XCTAssertEqual(e.value(atStep: 3_000_000), 1e-6)
        let l = LinearDecaySchedule(initial: 2e-4, final: 0, start: 100, end: 200)
        XCTAssertEqual(l.value(atStep: 50), 2e-4)
        XCTAssertEqual(l.value(atStep: 150), 1e-4, accuracy: 1e-9)
        XCTAssertEqual(l.value(atStep: 250), 0)
    }

    func testOptimizerStateRoundTrip() throws {
        let p = Variable(Tensor(shape: [2], values: [1, 2]), requiresGradient: true)
        let a = Adam([("w", p)], learningRate: 0.01)
        a.step([Tensor(shape: [2], values: [1, -1])])
        let q = Variable(p.value, requiresGradient: true)
        let b = Adam([("w", q)], learningRate: 0.01)
        try b.loadState(a.stateTensors(), step: a.stepCount)
        let g = Tensor(shape: [2], values: [0.3, 0.7])
        a.step([g]); b.step([g])
        XCTAssertEqual(p.value, q.value)
        XCTAssertThrowsError(try b.loadState(["w.exp_avg": Tensor(zeros: [3]), "w.exp_avg_sq": Tensor(zeros: [2])], step: 1))
    }
}
