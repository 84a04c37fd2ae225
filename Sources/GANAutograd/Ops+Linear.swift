/// Matrix product of rank-2 variables, `op(a) · op(b)` with `op` an optional transpose:
/// `[m, k] · [k, n] → [m, n]`.
///
/// With `C = A′B′` the cotangents are `dA′ = G·B′ᵀ` and `dB′ = A′ᵀ·G`; each is one more `matmul`
/// with the transposes chosen so no transposed copy is made.
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    let out = Tensor.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
    return Variable.record("matmul", out, inputs: Variable.Inputs(a, b)) { g, need in
        let da: Variable? = !need[0] ? nil
            : transposeA ? matmul(b, g, transposeA: transposeB, transposeB: true)
                         : matmul(g, b, transposeA: false, transposeB: !transposeB)
        let db: Variable? = !need[1] ? nil
            : transposeB ? matmul(g, a, transposeA: true, transposeB: transposeA)
                         : matmul(a, g, transposeA: !transposeA, transposeB: false)
        return Variable.Cotangents(da, db)
    }
}

/// `x · wᵀ + b` for `x: [N, in]`, `w: [out, in]` (PyTorch's `Linear` layout), `b: [out]`.
///
/// With a bias the output is first filled with `b` in every row and the product is accumulated
/// onto it (GEMM with β = 1): one pass fewer than a product followed by a broadcast add.
/// Cotangents: `dx = G·w`, `dw = Gᵀ·x`, `db = Σ_rows G`.
public func linear(_ x: Variable, weight: Variable, bias: Variable?) -> Variable {
    guard let bias else { return matmul(x, weight, transposeB: true) }
    require(
        x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1] && bias.shape == [weight.shape[0]],
        "linear: expected x [N, in], weight [out, in], bias [out], got \(x.shape), \(weight.shape), \(bias.shape)")
    let out = Tensor.matmulAddingRow(x.value, weight.value, transposeB: true, row: bias.value)
    return Variable.record("linear", out, inputs: Variable.Inputs(x, weight, bias)) { g, need in
        Variable.Cotangents(need[0] ? matmul(g, weight) : nil,
         need[1] ? matmul(g, x, transposeA: true) : nil,
         need[2] ? g.sum(axes: [0]) : nil)
    }
}
