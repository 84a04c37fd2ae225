/// Adam with bias correction, PyTorch `optim.Adam` semantics (L2 weight decay added to the gradient):
///
///     g ← g + λθ
///     m ← β₁m + (1 − β₁)g          v ← β₂v + (1 − β₂)g²
///     θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// (the operation order of PyTorch's implementation, so one step matches it to rounding).
public final class Adam: Optimizer {
    /// Betas are kept in Double, as PyTorch's Python floats: `1 − β₂` must be 0.001 for β₂ = 0.999, not
    /// the 0.00099998713 that Float arithmetic gives.
    public let beta1: Double, beta2: Double
    public let epsilon: Float, weightDecay: Float
    private var firstMoments: [Tensor]
    private var secondMoments: [Tensor]

    public init(_ named: [(name: String, parameter: Variable)], learningRate: Float = 1e-3,
                beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        require((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam: betas (\(beta1), \(beta2)) must be in [0, 1)")
        require(epsilon >= 0, "Adam: epsilon \(epsilon) is negative")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoments = named.map { Tensor(zeros: $0.parameter.shape) }
        secondMoments = named.map { Tensor(zeros: $0.parameter.shape) }
        super.init(named, learningRate: learningRate)
    }

    override func update(index i: Int, gradient: Tensor) {
        let p = parameters[i]
        let (b1, b2, eps, wd) = (Float(beta1), Float(beta2), epsilon, weightDecay)
        // Scalar factors in Double, as PyTorch computes them in Python floats: 1 − 0.999 in Float
        // would be off by 1.3e-5 relative.
        let t = Double(stepCount), lr = Double(learningRate)
        let stepSize = Float(lr / (1 - Foundation.pow(beta1, t)))
        let correction2 = Float((1 - Foundation.pow(beta2, t)).squareRoot())
        let oneMinusB1 = Float(1 - beta1), oneMinusB2 = Float(1 - beta2)
        let grad = gradient.pointer
        // In place: the parameter's storage is written directly (no copy while no one else holds it).
        firstMoments[i].withUnsafeMutableBufferPointer { m in
            secondMoments[i].withUnsafeMutableBufferPointer { v in
                p.value.withUnsafeMutableBufferPointer { out in
                    Parallel.forRanges(out.count, AdamUpdate(
                        grad: grad, m: m.baseAddress!, v: v.baseAddress!, param: out.baseAddress!,
                        beta1: b1, beta2: b2, oneMinusBeta1: oneMinusB1, oneMinusBeta2: oneMinusB2,
                        stepSize: stepSize, correction2: correction2, epsilon: eps, weightDecay: wd))
                }
            }
        }
    }

    /// The update of a range of one parameter's elements, in SIMD lanes: with `g` the gradient
    /// (plus `weightDecay · param`), `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`,
    /// `param ← param − stepSize · m / (√v / correction2 + ε)`.
    private struct AdamUpdate: ParallelLoop {
        let grad: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
        let param: UnsafeMutablePointer<Float>
        let beta1: Float, beta2: Float, oneMinusBeta1: Float, oneMinusBeta2: Float
        let stepSize: Float, correction2: Float, epsilon: Float, weightDecay: Float

        func run(_ r: Range<Int>) {
            typealias V = Lanes.Vector
            let (vb1, vb2, v1b1, v1b2) = (V(repeating: beta1), V(repeating: beta2), V(repeating: oneMinusBeta1), V(repeating: oneMinusBeta2))
            let (vStep, vCorrection, vEps, vWd) = (V(repeating: stepSize), V(repeating: correction2), V(repeating: epsilon), V(repeating: weightDecay))
            let (mp, vp, op, wd) = (m, v, param, weightDecay)
            Lanes.forEachBlock(of: r) { j, lanes in
                var g = Lanes.load(grad, at: j, lanes: lanes)
                var param = Lanes.load(op, at: j, lanes: lanes)
                if wd != 0 { g = g + vWd * param }
                let m = vb1 * Lanes.load(mp, at: j, lanes: lanes) + v1b1 * g
                let v = vb2 * Lanes.load(vp, at: j, lanes: lanes) + v1b2 * g * g
                param -= vStep * m / (v.squareRoot() / vCorrection + vEps)
                Lanes.store(m, to: mp, at: j, lanes: lanes)
                Lanes.store(v, to: vp, at: j, lanes: lanes)
                Lanes.store(param, to: op, at: j, lanes: lanes)
            }
        }
    }

    public override func stateTensors() -> [String: Tensor] {
        var out = [String: Tensor]()
        for i in names.indices {
            out["\(names[i]).exp_avg"] = firstMoments[i]
            out["\(names[i]).exp_avg_sq"] = secondMoments[i]
        }
        return out
    }

    public override func loadState(_ state: [String: Tensor], step: Int) throws {
        var m = firstMoments, v = secondMoments
        for i in names.indices {
            guard let a = try requireState(state, slot: "exp_avg", for: i),
                  let b = try requireState(state, slot: "exp_avg_sq", for: i) else {
                throw StateDictError(source: "Adam state", problem: "missing moments for '\(names[i])'")
            }
            m[i] = a; v[i] = b
        }
        firstMoments = m
        secondMoments = v
        stepCount = step
    }
}

import Foundation
