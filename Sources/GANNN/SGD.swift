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
        require(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and zero dampening")
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.style = style
        buffers = Array(repeating: nil, count: named.count)
        super.init(named, learningRate: learningRate)
    }

    /// One fused in-place pass per parameter:
    /// classical `v ← μ·v − lr·g; p ← p + v`; PyTorch `b ← μ·b + (1 − dampening)·g` (b = g on the
    /// first step), `p ← p − lr·(Nesterov ? g + μ·b : b)`; `g` includes `weightDecay·p`.
    override func update(index i: Int, gradient: Tensor) {
        let p = parameters[i]
        let mu = momentum, lr = learningRate, wd = weightDecay, damp = 1 - dampening, nesterov = self.nesterov
        let classical = style == .classical
        let grad = gradient.pointer
        let usesBuffer = classical || mu != 0
        let firstStep = buffers[i] == nil
        if usesBuffer && firstStep { buffers[i] = Tensor(zeros: p.shape) }
        typealias V = Lanes.Vector
        let (vMu, vLr, vWd, vDamp) = (V(repeating: mu), V(repeating: lr), V(repeating: wd), V(repeating: damp))
        p.value.withUnsafeMutableBufferPointer { out in
            let param = out.baseAddress!, n = out.count
            guard usesBuffer else {
                Parallel.forRanges(n) { r in
                    Lanes.forEachBlock(of: r) { j, lanes in
                        let p = Lanes.load(param, at: j, lanes: lanes)
                        var g = Lanes.load(grad, at: j, lanes: lanes)
                        if wd != 0 { g = g + vWd * p }
                        Lanes.store(p - vLr * g, to: param, at: j, lanes: lanes)
                    }
                }
                return
            }
            buffers[i]!.withUnsafeMutableBufferPointer { b in
                let buffer = b.baseAddress!
                Parallel.forRanges(n) { r in
                    Lanes.forEachBlock(of: r) { j, lanes in
                        var p = Lanes.load(param, at: j, lanes: lanes)
                        var g = Lanes.load(grad, at: j, lanes: lanes)
                        if wd != 0 { g = g + vWd * p }
                        var v = Lanes.load(buffer, at: j, lanes: lanes)
                        if classical {
                            v = vMu * v - vLr * g
                            p = p + v
                        } else {
                            v = firstStep ? g : vMu * v + vDamp * g
                            p = p - vLr * (nesterov ? g + vMu * v : v)
                        }
                        Lanes.store(v, to: buffer, at: j, lanes: lanes)
                        Lanes.store(p, to: param, at: j, lanes: lanes)
                    }
                }
            }
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
