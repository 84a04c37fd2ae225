/// Elementwise kernels: unary maps and broadcasting binary/ternary maps, split across cores
/// for large tensors. Every autodiff op on values goes through these.
extension Tensor {
    /// The cost per element, relative to an add, of a map that calls `exp`, `log`, `tanh` or
    /// `pow` (libm's scalar versions take tens of cycles each). With the default cost of 1, the
    /// tanh on a DCGAN generator's 64×784 outputs ran on one thread, 0.8 ms of every step.
    public static let transcendentalCost = 16

    /// `f` applied to every element. `costPerElement`: `f`'s cost in units of an add, which
    /// decides from what size the work is split across threads (see
    /// ``transcendentalCost``).
    @inlinable
    public func map(costPerElement: Int = 1, _ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let src = pointer, dst = out.storage.pointer
        Parallel.forRanges(count, costPerElement: costPerElement) { r in
            for i in r { dst[i] = f(src[i]) }
        }
        return out
    }

    /// `self[i] = f(self[i])` in place — after a copy when another tensor shares the storage —
    /// split across threads as ``map(costPerElement:_:)``. For data sets, where a second copy
    /// would double the peak memory.
    @inlinable
    public mutating func update(costPerElement: Int = 1, _ f: (Float) -> Float) {
        withUnsafeMutableBufferPointer { values in
            let p = values.baseAddress!
            Parallel.forRanges(values.count, costPerElement: costPerElement) { r in
                for i in r { p[i] = f(p[i]) }
            }
        }
    }

    /// `f(a, b)` elementwise, broadcasting `a` and `b` to a common shape.
    @inlinable
    public static func combine(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) -> Tensor {
        let pa = a.pointer, pb = b.pointer
        if a.shape == b.shape {
            let out = Tensor(uninitializedShape: a.shape)
            let dst = out.storage.pointer
            Parallel.forRanges(a.count) { r in for i in r { dst[i] = f(pa[i], pb[i]) } }
            return out
        }
        let outShape = Broadcast.shape(a.shape, b.shape, op: op)
        let out = Tensor(uninitializedShape: outShape)
        let dst = out.storage.pointer
        if b.count == 1 && a.count == out.count {
            let vb = pb[0]
            Parallel.forRanges(a.count) { r in for i in r { dst[i] = f(pa[i], vb) } }
            return out
        }
        if a.count == 1 && b.count == out.count {
            let va = pa[0]
            Parallel.forRanges(b.count) { r in for i in r { dst[i] = f(va, pb[i]) } }
            return out
        }
        let plan = StridedPlan(
            shape: outShape,
            strides: [Broadcast.strides(of: a.shape, broadcastTo: outShape),
                      Broadcast.strides(of: b.shape, broadcastTo: outShape)])
        let n = plan.rowLength
        let sa = plan.strides[0].last!, sb = plan.strides[1].last!
        Parallel.forRanges(plan.rowCount, costPerElement: n) { rows in
            for row in rows {
                let oa = plan.rowOffset(row, operand: 0), ob = plan.rowOffset(row, operand: 1)
                let o = dst + row * n
                // Innermost loop: the common cases (0 or 1 strides) are all unit or broadcast reads.
                for j in 0..<n { o[j] = f(pa[oa + j * sa], pb[ob + j * sb]) }
            }
        }
        return out
    }

    /// `f(a, b, c)` elementwise for three tensors of one shape (used by fused pullbacks).
    @inlinable
    public static func combine3(
        _ a: Tensor, _ b: Tensor, _ c: Tensor, op: String, _ f: (Float, Float, Float) -> Float
    ) -> Tensor {
        require(
            a.shape == b.shape && b.shape == c.shape,
            "\(op): expected three tensors of one shape, got \(a.shape), \(b.shape), \(c.shape)")
        let out = Tensor(uninitializedShape: a.shape)
        let pa = a.pointer, pb = b.pointer, pc = c.pointer, dst = out.storage.pointer
        Parallel.forRanges(a.count) { r in for i in r { dst[i] = f(pa[i], pb[i], pc[i]) } }
        return out
    }

    /// `x` where `x > 0`, else `slope·x` (0 when `slope` is 0): ReLU and LeakyReLU in one
    /// explicit loop (a loop the compiler vectorises, unlike a `map` with a closure).
    public func leakyRelu(slope: Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        Parallel.forRanges(count, LeakyReLULoop(src: pointer, gradient: nil, dst: out.storage.pointer, slope: slope))
        return out
    }

    /// `g` where `x > 0`, else `slope·g`: the LeakyReLU pullback (`g`, `x` of one shape).
    public static func leakyReluBackward(_ g: Tensor, input x: Tensor, slope: Float) -> Tensor {
        require(g.shape == x.shape, "leakyRelu backward: gradient shape \(g.shape) differs from input shape \(x.shape)")
        let out = Tensor(uninitializedShape: g.shape)
        Parallel.forRanges(g.count, LeakyReLULoop(src: x.pointer, gradient: g.pointer, dst: out.storage.pointer, slope: slope))
        return out
    }

    /// ``leakyRelu(slope:)`` of `src` into `dst`, or with a `gradient`, its pullback
    /// ``leakyReluBackward(_:input:slope:)``: `gradient` where `src > 0`, else `slope·gradient`.
    private struct LeakyReLULoop: ParallelLoop {
        let src: UnsafePointer<Float>, gradient: UnsafePointer<Float>?, dst: UnsafeMutablePointer<Float>, slope: Float

        func run(_ r: Range<Int>) {
            if let g = gradient {
                for i in r { dst[i] = src[i] > 0 ? g[i] : slope * g[i] }
            } else if slope == 0 {
                for i in r { dst[i] = Swift.max(src[i], 0) }
            } else {
                for i in r { let v = src[i]; dst[i] = v > 0 ? v : slope * v }
            }
        }
    }

    /// Materialises `self` broadcast to `shape` (a copy).
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        let s = Broadcast.shape(shape, target, op: "broadcast(to:)")
        require(s == target, "broadcast(to:): shape \(shape) cannot broadcast to \(target)")
        return Tensor.combine(self, Tensor(zeros: target), op: "broadcast(to:)") { a, _ in a }
    }

    // MARK: Arithmetic on values (no autodiff; see GANAutograd for differentiable versions)

    public static func + (a: Tensor, b: Tensor) -> Tensor { combine(a, b, op: "add") { $0 + $1 } }
    public static func - (a: Tensor, b: Tensor) -> Tensor { combine(a, b, op: "subtract") { $0 - $1 } }
    public static func * (a: Tensor, b: Tensor) -> Tensor { combine(a, b, op: "multiply") { $0 * $1 } }
    public static func / (a: Tensor, b: Tensor) -> Tensor { combine(a, b, op: "divide") { $0 / $1 } }
    public static func + (a: Tensor, s: Float) -> Tensor { a.map { $0 + s } }
    public static func - (a: Tensor, s: Float) -> Tensor { a.map { $0 - s } }
    public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }
    public static func * (s: Float, a: Tensor) -> Tensor { a.map { s * $0 } }
    public static func / (a: Tensor, s: Float) -> Tensor { a.map { $0 / s } }
    public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    /// `self += alpha * x`, in place (shapes must match).
    public mutating func addScaled(_ x: Tensor, alpha: Float) {
        require(shape == x.shape, "addScaled: shapes \(shape) and \(x.shape) differ")
        let src = x.pointer
        withUnsafeMutableBufferPointer { p in
            let dst = p.baseAddress!
            Parallel.forRanges(p.count) { r in for i in r { dst[i] += alpha * src[i] } }
        }
    }

    /// True when every element is finite (no NaN or ±∞).
    public var isFinite: Bool {
        withUnsafeBufferPointer { p in p.allSatisfy { $0.isFinite } }
    }
}
