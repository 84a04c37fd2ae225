/// NumPy/PyTorch broadcasting rules and the strided iteration plans kernels use to apply them.
public enum Broadcast {
    /// The broadcast shape of `a` and `b`: dimensions are aligned from the right and each pair
    /// must be equal or contain a 1.
    public static func shape(_ a: [Int], _ b: [Int], op: String) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            require(
                da == db || da == 1 || db == 1,
                "\(op): shapes \(a) and \(b) do not broadcast (dimension \(i) of the aligned shapes: \(da) vs \(db))")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Strides of a contiguous `shape` read as if broadcast to `outShape` (0 where broadcast).
    @usableFromInline
    static func strides(of shape: [Int], broadcastTo outShape: [Int]) -> [Int] {
        let pad = outShape.count - shape.count
        var strides = [Int](repeating: 0, count: outShape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i + pad] = shape[i] == 1 ? 0 : running
            running *= shape[i]
        }
        return strides
    }
}

/// An iteration over `shape` with one stride vector per operand, with adjacent dimensions merged
/// wherever every operand walks them as one (so `[N,C,H,W] ⊕ [1,C,1,1]` runs as `[N, C, H·W]`).
@usableFromInline
struct StridedPlan {
    @usableFromInline var shape: [Int]
    @usableFromInline var strides: [[Int]]

    @usableFromInline
    init(shape: [Int], strides: [[Int]]) {
        var s = shape, st = strides
        // Drop unit dimensions, then merge neighbours (i, i+1) that are contiguous for every operand.
        var keep = [Int]()
        for i in s.indices where s[i] != 1 { keep.append(i) }
        s = keep.map { s[$0] }
        st = st.map { v in keep.map { v[$0] } }
        var i = s.count - 2
        while i >= 0 {
            if st.allSatisfy({ $0[i] == $0[i + 1] * s[i + 1] }) {
                // The merged dimension steps like the inner one.
                s[i] *= s[i + 1]
                s.remove(at: i + 1)
                for k in st.indices { st[k][i] = st[k][i + 1]; st[k].remove(at: i + 1) }
            }
            i -= 1
        }
        if s.isEmpty { s = [1]; st = st.map { _ in [1] } }
        self.shape = s
        self.strides = st
    }

    /// Number of rows: all dimensions but the innermost.
    @usableFromInline var rowCount: Int { shape.dropLast().reduce(1, *) }
    @usableFromInline var rowLength: Int { shape.last! }

    /// Start offset of `row` in operand `k`.
    @inlinable
    func rowOffset(_ row: Int, operand k: Int) -> Int {
        var r = row, offset = 0
        let st = strides[k]
        var d = shape.count - 2
        while d >= 0 {
            let n = shape[d]
            offset += (r % n) * st[d]
            r /= n
            d -= 1
        }
        return offset
    }
}
