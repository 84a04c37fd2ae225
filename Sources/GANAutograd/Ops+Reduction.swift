// Sums, means and maxima.

extension Variable {
    /// Sum of all elements, as a scalar of shape `[]`.
    public func sum() -> Variable {
        let source = shape
        return Variable.record("sum", Tensor(scalar: value.sumAll()), inputs: Variable.Inputs(self)) { g, _ in
            Variable.Cotangents(g.broadcast(to: source))
        }
    }

    /// Sum over `axes` (negative axes count from the end); reduced axes kept as 1 when `keepDims`.
    public func sum(axes: [Int], keepDims: Bool = false) -> Variable {
        let source = shape
        // One reduction (this summed twice when `keepDims` was false: once more for the shape
        // the pullback needs, which it now works out itself).
        let out = value.sum(axes: axes, keepDims: keepDims)
        return Variable.record("sumAxes", out, inputs: Variable.Inputs(self)) { g, _ in
            var keptShape = source
            for a in axes { keptShape[a < 0 ? a + source.count : a] = 1 }
            return Variable.Cotangents(g.reshaped(keptShape).broadcast(to: source))
        }
    }

    /// Mean of all elements.
    public func mean() -> Variable { sum() * (1 / Float(max(value.count, 1))) }

    /// Mean over `axes`.
    public func mean(axes: [Int], keepDims: Bool = false) -> Variable {
        let n = axes.reduce(1) { $0 * shape[$1 < 0 ? $1 + rank : $1] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(max(n, 1)))
    }

    /// Maximum over the last axis: `[..., n] → [...]`. The gradient goes to the first maximum.
    public func maxAlongLastAxis() -> Variable {
        let (values, indices) = value.maxAlongLastAxis()
        let n = shape.last!
        return Variable.record("maxLastAxis", values, inputs: Variable.Inputs(self)) { g, _ in
            Variable.Cotangents(g.scatterAlongLastAxis(indices: indices, length: n))
        }
    }

    /// `out[..., indices[r]] = self[...]` into zeros of last-axis length `length` (r is the row).
    /// Linear; its pullback is ``gatherAlongLastAxis(indices:)``.
    public func scatterAlongLastAxis(indices: [Int32], length: Int) -> Variable {
        require(value.count == indices.count, "scatterAlongLastAxis: \(value.count) values for \(indices.count) indices")
        for i in indices { require(i >= 0 && Int(i) < length, "scatterAlongLastAxis: index \(i) outside 0..<\(length)") }
        var out = Tensor(zeros: shape + [length])
        let src = value.pointer
        out.withUnsafeMutableBufferPointer { p in
            for r in 0..<indices.count { p[r * length + Int(indices[r])] = src[r] }
        }
        return Variable.record("scatterLastAxis", out, inputs: Variable.Inputs(self)) { g, _ in
            Variable.Cotangents(g.gatherAlongLastAxis(indices: indices))
        }
    }

    /// `out[r] = self[r, indices[r]]` over rows r of the last axis. Linear; its pullback scatters.
    public func gatherAlongLastAxis(indices: [Int32]) -> Variable {
        let n = shape.last!, rows = value.count / n
        require(rows == indices.count, "gatherAlongLastAxis: \(rows) rows for \(indices.count) indices")
        for i in indices { require(i >= 0 && Int(i) < n, "gatherAlongLastAxis: index \(i) outside 0..<\(n)") }
        var out = Tensor(uninitializedShape: Array(shape.dropLast()))
        let src = value.pointer
        out.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows { p[r] = src[r * n + Int(indices[r])] }
        }
        return Variable.record("gatherLastAxis", out, inputs: Variable.Inputs(self)) { g, _ in
            Variable.Cotangents(g.scatterAlongLastAxis(indices: indices, length: n))
        }
    }

    /// `log Σ exp(x)` over `axis`, kept as size 1; stabilised by the (constant) maximum, or by 0
    /// where the maximum is infinite (a row of −∞ gives −∞, as PyTorch, not ∞ − ∞ = NaN).
    public func logSumExp(axis: Int) -> Variable {
        let shift = Variable(value.maxAlongAxisKeepingDims(axis).map { $0.isFinite ? $0 : 0 })
        return (self - shift).exp().sum(axes: [axis], keepDims: true).log() + shift
    }

    /// `x − logΣexp(x)` over `axis`.
    public func logSoftmax(axis: Int) -> Variable { self - logSumExp(axis: axis) }
}

extension Tensor {
    /// Maximum over one axis, that axis kept with size 1 (values only; used as a constant shift).
    func maxAlongAxisKeepingDims(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank : axis
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape; outShape[a] = 1
        var out = Tensor(shape: outShape, repeating: -.infinity)
        let src = pointer
        out.withUnsafeMutableBufferPointer { p in
            for o in 0..<outer { for k in 0..<n { for i in 0..<inner {
                p[o * inner + i] = Swift.max(p[o * inner + i], src[(o * n + k) * inner + i])
            } } }
        }
        return out
    }
}
