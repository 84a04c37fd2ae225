/// Matrix product of rank-2 variables, `op(a) · op(b)` with `op` an optional transpose:
/// `[m, k] · [k, n] → [m, n]`.
///
/// With `C = A′B′` the cotangents are `dA′ = G·B′ᵀ` and `dB′ = A′ᵀ·G`; each is one more `matmul`
/// with the transposes chosen so no transposed copy is made.
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    let out = Tensor.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
    return Variable.record("matmul", out, inputs: [a, b]) { g, need in
        let da: Variable? = !need[0] ? nil
            : transposeA ? matmul(b, g, transposeA: transposeB, transposeB: true)
                         : matmul(g, b, transposeA: false, transposeB: !transposeB)
        let db: Variable? = !need[1] ? nil
            : transposeB ? matmul(g, a, transposeA: true, transposeB: transposeA)
                         : matmul(a, g, transposeA: !transposeA, transposeB: false)
        return [da, db]
    }
}

/// `x · wᵀ + b` for `x: [N, in]`, `w: [out, in]` (PyTorch's `Linear` layout), `b: [out]`.
public func linear(_ x: Variable, weight: Variable, bias: Variable?) -> Variable {
    let y = matmul(x, weight, transposeB: true)
    return bias.map { y + $0 } ?? y
}
