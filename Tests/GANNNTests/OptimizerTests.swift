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
