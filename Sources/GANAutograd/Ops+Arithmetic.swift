// Arithmetic with NumPy broadcasting. Each binary pullback sums its cotangent back to the
// input's shape through `sum(toShape:)`, the one place broadcasting is undone.

extension Variable {
    public static func + (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return record("add", a.value + b.value, inputs: Variable.Inputs(a, b)) { g, need in
            Variable.Cotangents(need[0] ? g.sum(toShape: sa) : nil, need[1] ? g.sum(toShape: sb) : nil)
        }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return record("subtract", a.value - b.value, inputs: Variable.Inputs(a, b)) { g, need in
            Variable.Cotangents(need[0] ? g.sum(toShape: sa) : nil, need[1] ? (-g).sum(toShape: sb) : nil)
        }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        record("multiply", a.value * b.value, inputs: Variable.Inputs(a, b)) { g, need in
            Variable.Cotangents(need[0] ? (g * b).sum(toShape: a.shape) : nil, need[1] ? (g * a).sum(toShape: b.shape) : nil)
        }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        record("divide", a.value / b.value, inputs: Variable.Inputs(a, b)) { g, need in
            Variable.Cotangents(need[0] ? (g / b).sum(toShape: a.shape) : nil,
                                need[1] ? (-(g * a) / (b * b)).sum(toShape: b.shape) : nil)
        }
    }

    public static prefix func - (a: Variable) -> Variable {
        record("negate", -a.value, inputs: Variable.Inputs(a)) { g, _ in Variable.Cotangents(-g) }
    }

    public static func + (a: Variable, s: Float) -> Variable {
        record("addScalar", a.value + s, inputs: Variable.Inputs(a)) { g, _ in Variable.Cotangents(g) }
    }
    public static func + (s: Float, a: Variable) -> Variable { a + s }
    public static func - (a: Variable, s: Float) -> Variable { a + (-s) }
    public static func - (s: Float, a: Variable) -> Variable { (-a) + s }

    public static func * (a: Variable, s: Float) -> Variable {
        record("multiplyScalar", a.value * s, inputs: Variable.Inputs(a)) { g, _ in Variable.Cotangents(g * s) }
    }
    public static func * (s: Float, a: Variable) -> Variable { a * s }
    public static func / (a: Variable, s: Float) -> Variable { a * (1 / s) }

    /// `xᵖ` elementwise. d/dx = p·xᵖ⁻¹.
    public func pow(_ p: Float) -> Variable {
        let x = self
        return Variable.record("pow", value.mapCallingLibm { Foundation.pow($0, p) }, inputs: Variable.Inputs(x)) { g, _ in
            // p = 0: the derivative is 0 everywhere, as PyTorch gives (0 · x⁻¹ would be NaN at x = 0).
            Variable.Cotangents(p == 0 ? Variable(Tensor(zeros: x.shape)) : g * x.pow(p - 1) * p)
        }
    }

    /// `x²` elementwise.
    public func squared() -> Variable { self * self }

    /// The value broadcast to `shape` (materialised). Its pullback sums back.
    public func broadcast(to target: [Int]) -> Variable {
        if shape == target { return self }
        let source = shape
        return Variable.record("broadcast", value.broadcast(to: target), inputs: Variable.Inputs(self)) { g, _ in
            Variable.Cotangents(g.sum(toShape: source))
        }
    }

    /// Sums down to `target`, undoing a broadcast from `target` to `shape`. Its pullback broadcasts.
    public func sum(toShape target: [Int]) -> Variable {
        if shape == target { return self }
        let source = shape
        return Variable.record("sumToShape", value.sum(toShape: target), inputs: Variable.Inputs(self)) { g, _ in
            Variable.Cotangents(g.broadcast(to: source))
        }
    }
}

import Foundation
