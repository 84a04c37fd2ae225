import GANTensor

/// The MD5 message digest (RFC 1321), used only to check that downloaded data sets are intact.
///
/// MD5 is broken as a cryptographic hash; here it merely detects corrupt or wrong files, and it is
/// the checksum the data sets' publishers list.
///
/// ```swift
/// MD5.hex(Array("abc".utf8))   // "900150983cd24fb0d6963f7d28e17f72"
/// ```
public struct MD5 {
    // The four 32-bit state words A, B, C, D.
    private var a0: UInt32 = 0x6745_2301
    private var b0: UInt32 = 0xEFCD_AB89
    private var c0: UInt32 = 0x98BA_DCFE
    private var d0: UInt32 = 0x1032_5476
    /// Bytes of the current, not yet full, 64-byte block.
    private var pending: [UInt8] = []
    /// Total message length in bytes.
    private var length: UInt64 = 0

    /// Per-round left-rotation amounts (RFC 1321, section 3.4).
    private static let shifts: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]

    /// The sine table T[i] = floor(2^32 · |sin(i + 1)|).
    private static let sines: [UInt32] = (0..<64).map { i in
        UInt32(truncatingIfNeeded: Int64((abs(sinDouble(Double(i + 1))) * 4_294_967_296.0).rounded(.down)))
    }

    /// A fresh digest state.
    public init() {}

    /// Feeds more message bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update(UnsafeRawBufferPointer($0)) }
    }

    /// Feeds more message bytes from raw memory.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending.append(contentsOf: bytes[0..<take])
            offset = take
            if pending.count == 64 {
                pending.withUnsafeBytes { processBlock($0.baseAddress!) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        // Whole 64-byte blocks straight from the input.
        while bytes.count - offset >= 64 {
            processBlock(bytes.baseAddress! + offset)
            offset += 64
        }
        if offset < bytes.count { pending.append(contentsOf: bytes[offset...]) }
    }

    /// Finishes the message (padding with 0x80, zeros and the 64-bit little-endian bit length)
    /// and returns the 16-byte digest.
    public mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        let used = (pending.count + 1) % 64
        tail.append(contentsOf: [UInt8](repeating: 0, count: (56 - used + 64) % 64))
        for i in 0..<8 { tail.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        let savedLength = length
        update(tail)
        length = savedLength
        require(pending.isEmpty, "MD5: padding did not end on a block boundary")
        var digest: [UInt8] = []
        for word in [a0, b0, c0, d0] {
            for i in 0..<4 { digest.append(UInt8(truncatingIfNeeded: word >> (8 * UInt32(i)))) }
        }
        return digest
    }

    /// Runs the 64 steps of the compression function on one 64-byte block.
    private mutating func processBlock(_ block: UnsafeRawPointer) {
        // The block as sixteen little-endian 32-bit words M[0...15].
        var m = (UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                 UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0))
        withUnsafeMutableBytes(of: &m) { words in
            words.copyMemory(from: UnsafeRawBufferPointer(start: block, count: 64))
        }
        var a = a0, b = b0, c = c0, d = d0
        MD5.shifts.withUnsafeBufferPointer { s in
            MD5.sines.withUnsafeBufferPointer { t in
                withUnsafeBytes(of: &m) { raw in
                    let words = raw.bindMemory(to: UInt32.self)
                    // Step i: round i / 16 picks the boolean function and the message word g.
                    for i in 0..<64 {
                        var f: UInt32
                        let g: Int
                        switch i >> 4 {
                        case 0: f = (b & c) | (~b & d); g = i
                        case 1: f = (d & b) | (~d & c); g = (5 &* i &+ 1) & 15
                        case 2: f = b ^ c ^ d; g = (3 &* i &+ 5) & 15
                        default: f = c ^ (b | ~d); g = (7 &* i) & 15
                        }
                        f = f &+ a &+ t[i] &+ UInt32(littleEndian: words[g])
                        a = d; d = c; c = b
                        b = b &+ (f << s[i] | f >> (32 - s[i]))
                    }
                }
            }
        }
        a0 = a0 &+ a; b0 = b0 &+ b; c0 = c0 &+ c; d0 = d0 &+ d
    }

    /// The MD5 digest of `bytes` (16 bytes).
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var md5 = MD5()
        md5.update(bytes)
        return md5.finalize()
    }

    /// The MD5 digest of `bytes` as 32 lowercase hexadecimal digits.
    public static func hex(_ bytes: [UInt8]) -> String {
        hash(bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Checks that the MD5 of `bytes` is `expectedHex` (case-insensitive).
    ///
    /// - Throws: ``DataError`` naming `source`, field `checksum`, with both digests.
    public static func verify(_ bytes: [UInt8], expectedHex: String, source: String, what: String = "content") throws {
        let actual = hex(bytes)
        guard actual == expectedHex.lowercased() else {
            throw DataError(file: source, field: "checksum", "md5 \(expectedHex.lowercased()) of the \(what) expected, got \(actual)")
        }
    }
}

#if canImport(Glibc)
import Glibc
private func sinDouble(_ x: Double) -> Double { Glibc.sin(x) }
#else
import Darwin
private func sinDouble(_ x: Double) -> Double { Darwin.sin(x) }
#endif
