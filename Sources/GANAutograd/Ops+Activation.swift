import Foundation

// Elementwise nonlinearities. Pullbacks reuse the output where the derivative is a function of it.

extension Variable {
    /// `eˣ`; d/dx = eˣ.
    public func exp() -> Variable {
        let out = value.mapCallingLibm { Foundation.exp($0) }
        let y = Variable(out)
        return Variable.record("exp", out, inputs: Variable.Inputs(self)) { [x = self] g, _ in
            // Recompute through the graph when differentiating twice; the value is the same.
            Variable.Cotangents(g * (GradientMode.isEnabled ? x.exp() : y))
        }
    }

    /// Natural logarithm; d/dx = 1/x.
    public func log() -> Variable {
        Variable.record("log", value.mapCallingLibm { Foundation.log($0) }, inputs: Variable.Inputs(self)) { [x = self] g, _ in Variable.Cotangents(g / x) }
    }

    /// `√x`; d/dx = 1 / (2√x).
    public func sqrt() -> Variable {
        let out = value.map { $0.squareRoot() }
        return Variable.record("sqrt", out, inputs: Variable.Inputs(self)) { [x = self] g, _ in
            Variable.Cotangents(g / (GradientMode.isEnabled ? x.sqrt() : Variable(out)) * 0.5)
        }
    }

    /// Hyperbolic tangent; d/dx = 1 − tanh²x.
    public func tanh() -> Variable {
        let out = value.mapCallingLibm { Foundation.tanh($0) }
        return Variable.record("tanh", out, inputs: Variable.Inputs(self)) { [x = self] g, _ in
            let t = GradientMode.isEnabled ? x.tanh() : Variable(out)
            return Variable.Cotangents(g * (1 - t * t))
        }
    }

    /// Logistic sigmoid `1 / (1 + e⁻ˣ)`, computed without overflow; d/dx = σ(x)(1 − σ(x)).
    public func sigmoid() -> Variable {
        let out = value.mapCallingLibm(stableSigmoid)
        return Variable.record("sigmoid", out, inputs: Variable.Inputs(self)) { [x = self] g, _ in
            let s = GradientMode.isEnabled ? x.sigmoid() : Variable(out)
            return Variable.Cotangents(g * s * (1 - s))
        }
    }

    /// `log(1 + eˣ)` in the stable form `max(x, 0) + log1p(e^−|x|)`; d/dx = σ(x).
    public func softplus() -> Variable {
        Variable.record("softplus", value.mapCallingLibm(stableSoftplus), inputs: Variable.Inputs(self)) { [x = self] g, _ in
            Variable.Cotangents(g * x.sigmoid())
        }
    }

    /// `max(x, 0)`; the derivative is taken as 0 at x = 0 (as PyTorch).
    public func relu() -> Variable { leakyRelu(slope: 0) }

    /// `x` for x > 0, `slope·x` otherwise.
    public func leakyRelu(slope: Float = 0.01) -> Variable {
        let x = value
        let out = x.leakyRelu(slope: slope)
        return Variable.record(slope == 0 ? "relu" : "leakyRelu", out, inputs: Variable.Inputs(self)) { g, _ in
            Variable.Cotangents(g.scaledWhereNotPositive(x, by: slope))
        }
    }

    /// `self` where `x > 0`, `slope·self` elsewhere: the pullback of ``leakyRelu(slope:)`` in one
    /// pass (no mask tensor). Linear in `self`, so its own pullback is itself.
    func scaledWhereNotPositive(_ x: Tensor, by slope: Float) -> Variable {
        let out = Tensor.leakyReluBackward(value, input: x, slope: slope)
        return Variable.record("leakyReluBackward", out, inputs: Variable.Inputs(self)) { g, _ in
            Variable.Cotangents(g.scaledWhereNotPositive(x, by: slope))
        }
    }

    /// `|x|`; the derivative is taken as 0 at x = 0.
    public func abs() -> Variable {
        let sign = value.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        return Variable.record("abs", value.map { Swift.abs($0) }, inputs: Variable.Inputs(self)) { g, _ in Variable.Cotangents(g * Variable(sign)) }
    }
}

extension Tensor {
    /// `f` on every element, where `f` calls libm (`exp`, `log`, `tanh`, `pow`): split across
    /// threads from a smaller size than a cheap map (``Tensor/transcendentalCost``).
    func mapCallingLibm(_ f: (Float) -> Float) -> Tensor { map(costPerElement: Tensor.transcendentalCost, f) }
}

@inlinable func stableSigmoid(_ x: Float) -> Float {
    x >= 0 ? 1 / (1 + Foundation.exp(-x)) : { let e = Foundation.exp(x); return e / (1 + e) }()
}

@inlinable func stableSoftplus(_ x: Float) -> Float {
    Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
}
