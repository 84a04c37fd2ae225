/// Paths through latent space for `gan interpolate`.
public enum LatentPath {
    /// `(1 − t)·a + t·b`.
    public static func linear(_ a: Tensor, _ b: Tensor, t: Float) -> Tensor {
        Tensor.combine(a, b, op: "lerp") { (1 - t) * $0 + t * $1 }
    }

    /// Spherical interpolation `sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b`, Ω the angle between a
    /// and b (White 2016); falls back to linear when they are (anti)parallel.
    public static func spherical(_ a: Tensor, _ b: Tensor, t: Float) -> Tensor {
        let dot = (a * b).sumAll(), na = (a * a).sumAll().squareRoot(), nb = (b * b).sumAll().squareRoot()
        let cosine = max(-1, min(1, dot / max(na * nb, 1e-12)))
        let omega = acosf(cosine)
        guard sinf(omega) > 1e-6 else { return linear(a, b, t: t) }
        let wa = sinf((1 - t) * omega) / sinf(omega), wb = sinf(t * omega) / sinf(omega)
        return Tensor.combine(a, b, op: "slerp") { wa * $0 + wb * $1 }
    }

    /// `rows` paths of `steps` points each, from `starts[r]` to `ends[r]`: `[rows·steps] + latentShape`.
    public static func grid(starts: Tensor, ends: Tensor, steps: Int, spherical useSlerp: Bool) -> Tensor {
        let rows = starts.shape[0], shape = Array(starts.shape.dropFirst())
        var parts = [Tensor]()
        for r in 0..<rows {
            let a = starts.slice(axis: 0, start: r, length: 1), b = ends.slice(axis: 0, start: r, length: 1)
            for s in 0..<steps {
                let t = steps == 1 ? 0 : Float(s) / Float(steps - 1)
                parts.append(useSlerp ? spherical(a, b, t: t) : linear(a, b, t: t))
            }
        }
        var out = Tensor(uninitializedShape: [rows * steps] + shape)
        let stride = shape.reduce(1, *)
        out.withUnsafeMutableBufferPointer { p in
            for (i, part) in parts.enumerated() { (p.baseAddress! + i * stride).update(from: part.pointer, count: stride) }
        }
        return out
    }
}

import Foundation
