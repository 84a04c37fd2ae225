// Shape changes, concatenation, slicing and row gathers. All are linear, so each pullback is the
// matching op the other way round.

extension Variable {
    /// The same values under a new shape (`-1` inferred once).
    public func reshaped(_ newShape: [Int]) -> Variable {
        let source = shape
        return Variable.record("reshape", value.reshaped(newShape), inputs: Variable.Inputs(self)) { g, _ in Variable.Cotangents(g.reshaped(source)) }
    }

    /// `[N, ...] → [N, product(...)]`.
    public func flattened() -> Variable { reshaped([shape[0], -1]) }

    /// Elements `start ..< start + length` along `axis`.
    public func slice(axis: Int, start: Int, length: Int) -> Variable {
        let a = axis < 0 ? axis + rank : axis
        require(a >= 0 && a < rank && start >= 0 && length >= 0 && start + length <= shape[a],
                     "slice: range \(start)..<\(start + length) on axis \(axis) is outside shape \(shape)")
        let full = shape[a]
        return Variable.record("slice", value.slice(axis: a, start: start, length: length), inputs: Variable.Inputs(self)) { g, _ in
            Variable.Cotangents(g.padded(axis: a, before: start, total: full))
        }
    }

    /// Zero-pads along `axis` so that `self` sits at `before ..< before + shape[axis]` of `total`.
    public func padded(axis: Int, before: Int, total: Int) -> Variable {
        let a = axis < 0 ? axis + rank : axis
        let n = shape[a]
        require(before >= 0 && before + n <= total, "padded: \(n) elements at offset \(before) do not fit in \(total)")
        var outShape = shape; outShape[a] = total
        var out = Tensor(zeros: outShape)
        Tensor.copyBlock(from: value, axis: a, sourceStart: 0, to: &out, destinationStart: before, length: n)
        return Variable.record("pad", out, inputs: Variable.Inputs(self)) { g, _ in Variable.Cotangents(g.slice(axis: a, start: before, length: n)) }
    }

    /// Row gather: `out[i, ...] = self[indices[i], ...]` (an embedding lookup). Its pullback adds rows back.
    public func gatherRows(_ indices: [Int]) -> Variable {
        let rows = shape[0], width = value.count / max(rows, 1)
        for i in indices { require(i >= 0 && i < rows, "gatherRows: index \(i) outside 0..<\(rows)") }
        var out = Tensor(uninitializedShape: [indices.count] + shape.dropFirst())
        let src = value.pointer
        out.withUnsafeMutableBufferPointer { p in
            for (r, i) in indices.enumerated() {
                (p.baseAddress! + r * width).update(from: src + i * width, count: width)
            }
        }
        return Variable.record("gatherRows", out, inputs: Variable.Inputs(self)) { g, _ in Variable.Cotangents(g.scatterAddRows(indices, rowCount: rows)) }
    }

    /// `out[indices[i], ...] += self[i, ...]` into zeros with `rowCount` rows. Its pullback gathers.
    public func scatterAddRows(_ indices: [Int], rowCount: Int) -> Variable {
        require(indices.count == shape[0], "scatterAddRows: \(indices.count) indices for \(shape[0]) rows")
        for i in indices { require(i >= 0 && i < rowCount, "scatterAddRows: index \(i) outside 0..<\(rowCount)") }
        let width = value.count / max(shape[0], 1)
        var out = Tensor(zeros: [rowCount] + shape.dropFirst())
        let src = value.pointer
        out.withUnsafeMutableBufferPointer { p in
            for (r, i) in indices.enumerated() {
                let dst = p.baseAddress! + i * width, row = src + r * width
                for k in 0..<width { dst[k] += row[k] }
            }
        }
        return Variable.record("scatterAddRows", out, inputs: Variable.Inputs(self)) { g, _ in Variable.Cotangents(g.gatherRows(indices)) }
    }
}

/// Concatenation along `axis`; every other dimension must agree. Its pullback slices.
public func concat(_ parts: [Variable], axis: Int) -> Variable {
    require(!parts.isEmpty, "concat: no tensors")
    let a = axis < 0 ? axis + parts[0].rank : axis
    let out = Tensor.concatenate(parts.map(\.value), axis: a)
    var starts = [Int](), offset = 0
    for p in parts { starts.append(offset); offset += p.shape[a] }
    let lengths = parts.map { $0.shape[a] }
    return Variable.record("concat", out, inputs: Variable.Inputs(parts)) { g, need in
        Variable.Cotangents((0..<parts.count).map { need[$0] ? g.slice(axis: a, start: starts[$0], length: lengths[$0]) : nil })
    }
}

extension Tensor {
    /// Concatenation of values along `axis`; every other dimension must agree.
    public static func concatenate(_ parts: [Tensor], axis: Int) -> Tensor {
        require(!parts.isEmpty, "concatenate: no tensors")
        var outShape = parts[0].shape
        outShape[axis] = 0
        for p in parts {
            var s = p.shape, expected = parts[0].shape
            s[axis] = 0; expected[axis] = 0
            require(s == expected, "concatenate: shapes \(parts.map(\.shape)) differ outside axis \(axis)")
            outShape[axis] += p.shape[axis]
        }
        var out = Tensor(uninitializedShape: outShape)
        var offset = 0
        for p in parts {
            copyBlock(from: p, axis: axis, sourceStart: 0, to: &out, destinationStart: offset, length: p.shape[axis])
            offset += p.shape[axis]
        }
        return out
    }

    /// Elements `start ..< start + length` along `axis` (a copy).
    public func slice(axis: Int, start: Int, length: Int) -> Tensor {
        var outShape = shape; outShape[axis] = length
        var out = Tensor(uninitializedShape: outShape)
        Tensor.copyBlock(from: self, axis: axis, sourceStart: start, to: &out, destinationStart: 0, length: length)
        return out
    }

    /// Copies `length` slices along `axis` from `source[sourceStart...]` into `destination[destinationStart...]`;
    /// the two shapes agree outside `axis`.
    static func copyBlock(from source: Tensor, axis: Int, sourceStart: Int, to destination: inout Tensor,
                          destinationStart: Int, length: Int) {
        let outer = source.shape[..<axis].reduce(1, *), inner = source.shape[(axis + 1)...].reduce(1, *)
        let sn = source.shape[axis], dn = destination.shape[axis]
        let src = source.pointer
        destination.withUnsafeMutableBufferPointer { d in
            let dst = d.baseAddress!
            for o in 0..<outer {
                (dst + (o * dn + destinationStart) * inner)
                    .update(from: src + (o * sn + sourceStart) * inner, count: length * inner)
            }
        }
    }
}
