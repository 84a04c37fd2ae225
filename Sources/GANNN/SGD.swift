/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay.
///
/// `.pytorch` momentum (PyTorch `optim.SGD`): `g ← g + λθ; b ← μb + (1 − dampening)g` (b = g on the
/// first step); `g ← g + μb` (Nesterov) or `g ← b`; `θ ← θ − ηg`.
/// `.classical` momentum (pylearn2, used by the 2014 GAN): `v ← μv − ηg; θ ← θ + v`. The two agree
/// while η is constant and differ when η decays, which is why both exist.
public final class SGD: Optimizer {
    public enum MomentumStyle: String, Sendable { case pytorch, classical }
    public var momentum: Float
    public let dampening: Float, weightDecay: Float, nesterov: Bool, style: MomentumStyle
    private var buffers: [Tensor?]

    public init(_ named: [(name: String, parameter: Variable)], learningRate: Float, momentum: Float = 0,
                dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false, style: MomentumStyle = .pytorch) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and zero dampening")
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.style = style
        buffers = Array(repeating: nil, count: named.count)
        super.init(named, learningRate: learningRate)
    }

    override func update(index i: Int, gradient: Tensor) {
        let p = parameters[i]
        var g = gradient
        if weightDecay != 0 { g = Tensor.combine(g, p.value, op: "SGD weight decay") { [wd = weightDecay] in $0 + wd * $1 } }
        let mu = momentum, lr = learningRate
        switch style {
        case .classical:
            var v = buffers[i] ?? Tensor(zeros: p.shape)
            v = Tensor.combine(v, g, op: "SGD classical momentum") { mu * $0 - lr * $1 }
            buffers[i] = v
            p.value.addScaled(v, alpha: 1)
        case .pytorch:
            if mu != 0 {
                let damp = 1 - dampening
                let b = buffers[i].map { Tensor.combine($0, g, op: "SGD momentum") { mu * $0 + damp * $1 } } ?? g
                buffers[i] = b
                g = nesterov ? Tensor.combine(g, b, op: "SGD Nesterov") { $0 + mu * $1 } : b
            }
            p.value.addScaled(g, alpha: -lr)
        }
    }

    public override func stateTensors() -> [String: Tensor] {
        var out = [String: Tensor]()
        for (i, b) in buffers.enumerated() { if let b { out["\(names[i]).momentum_buffer"] = b } }
        return out
    }

    public override func loadState(_ state: [String: Tensor], step: Int) throws {
        var new = buffers
        for i in parameters.indices { new[i] = try requireState(state, slot: "momentum_buffer", for: i) }
        buffers = new
        stepCount = step
    }
}
