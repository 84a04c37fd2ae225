/// A seeded, reproducible random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Every tensor it fills is drawn sequentially on the calling thread, so the stream never depends
/// on the number of threads. Its whole state is four 64-bit words (``stateWords``), which
/// checkpoints save and restore to resume a run bit-exactly.
///
/// ```swift
/// let rng = RandomGenerator(seed: 42)
/// let z = rng.normal([64, 100, 1, 1])          // N(0, 1)
/// let saved = rng.stateWords                     // … later: rng.stateWords = saved
/// ```
public final class RandomGenerator: RandomNumberGenerator {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The generator's complete state; assigning it restores the stream exactly.
    public var stateWords: [UInt64] {
        get { [s0, s1, s2, s3] }
        set {
            require(newValue.count == 4, "RandomGenerator.stateWords: expected 4 words, got \(newValue.count)")
            require(newValue.contains { $0 != 0 }, "RandomGenerator.stateWords: the all-zero state is invalid")
            s0 = newValue[0]; s1 = newValue[1]; s2 = newValue[2]; s3 = newValue[3]
        }
    }

    @inline(__always)
    public func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits (every Float in the grid k·2⁻²⁴ equally likely).
    @inline(__always)
    public func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A new generator whose stream is independent of this one's (seeded from this stream).
    public func split() -> RandomGenerator { RandomGenerator(seed: next()) }

    /// Values drawn i.i.d. from U(low, high).
    public func uniform(_ shape: [Int], low: Float = 0, high: Float = 1) -> Tensor {
        var t = Tensor(uninitializedShape: shape)
        let span = high - low
        t.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = low + span * nextUnitFloat() }
        }
        return t
    }

    /// Values drawn i.i.d. from N(mean, std²) by the Box–Muller transform (computed in Double,
    /// two values per pair of uniforms; an odd final element uses one fresh pair).
    public func normal(_ shape: [Int], mean: Float = 0, std: Float = 1) -> Tensor {
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i < p.count {
                let u1 = 1.0 - nextUnitDouble()          // (0, 1]: log is finite
                let u2 = nextUnitDouble()
                let r = (-2.0 * _log(u1)).squareRoot()
                let theta = 2.0 * Double.pi * u2
                p[i] = mean + std * Float(r * _cos(theta))
                if i + 1 < p.count { p[i + 1] = mean + std * Float(r * _sin(theta)) }
                i += 2
            }
        }
        return t
    }

    /// 1 with probability `p`, else 0.
    public func bernoulli(_ shape: [Int], probability p: Float) -> Tensor {
        require(p >= 0 && p <= 1, "bernoulli: probability \(p) outside [0, 1]")
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { b in
            for i in b.indices { b[i] = nextUnitFloat() < p ? 1 : 0 }
        }
        return t
    }

    /// Uniform integer in 0..<n without modulo bias.
    public func nextInt(below n: Int) -> Int {
        require(n > 0, "nextInt(below:): bound must be positive, got \(n)")
        // Lemire's multiply-shift with rejection: unbiased for every n.
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, nextInt(below: i + 1)) }
        }
        return p
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Glibc.sin(x) }
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Darwin.sin(x) }
#endif
