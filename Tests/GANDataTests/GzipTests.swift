import XCTest
@testable import GANData

final class GzipTests: XCTestCase {
    func testRoundTripOfRandomAndCompressibleData() throws {
        for data in [pseudoRandomBytes(100_000, seed: 1), [UInt8](repeating: 7, count: 1_000_000), [42]] {
            let packed = Gzip.compress(data)
            XCTAssertEqual(Array(packed.prefix(2)), [0x1F, 0x8B], "gzip magic")
            XCTAssertEqual(try Gzip.decompress(packed, source: "t.gz"), data)
        }
        XCTAssertLessThan(Gzip.compress([UInt8](repeating: 7, count: 1_000_000)).count, 10_000)
    }

    func testEmptyContentRoundTrips() throws {
        XCTAssertEqual(try Gzip.decompress(Gzip.compress([]), source: "empty.gz"), [])
    }

    /// Bytes written by CPython's `gzip.compress(b"SwiftGAN\n" * 3, mtime=0)`.
    func testDecodesStreamFromAnotherImplementation() throws {
        let hex = "1f8b08000000000002030b2ecf4c2b7177f4e30ac6600000bff013781b000000"
        let bytes = stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
            let start = hex.index(hex.startIndex, offsetBy: i)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
        XCTAssertEqual(try Gzip.decompress(bytes, source: "python.gz"), Array("SwiftGAN\nSwiftGAN\nSwiftGAN\n".utf8))
    }

    func testMultiMemberStreamsConcatenate() throws {
        let a = Array("first member, ".utf8), b = pseudoRandomBytes(5000, seed: 2)
        XCTAssertEqual(try Gzip.decompress(Gzip.compress(a) + Gzip.compress(b), source: "two.gz"), a + b)
    }

    func testTruncatedStreamIsRejected() {
        let packed = Gzip.compress(pseudoRandomBytes(50_000, seed: 3))
        for keep in [10, packed.count / 2, packed.count - 4, packed.count - 1] {
            assertDataError(["cut.gz", "gzip stream"]) { try Gzip.decompress(Array(packed.prefix(keep)), source: "cut.gz") }
        }
        assertDataError(["cut.gz", "truncated"]) { try Gzip.decompress(Array(packed.prefix(packed.count / 2)), source: "cut.gz") }
    }

    func testCorruptStreamIsRejected() {
        let data = Array(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 200).utf8)
        let packed = Gzip.compress(data)
        // A flipped bit in the CRC-32 trailer (bytes -8 ..< -4).
        var badCRC = packed
        badCRC[packed.count - 6] ^= 0x01
        assertDataError(["crc.gz", "gzip stream", "valid compressed data expected"]) { try Gzip.decompress(badCRC, source: "crc.gz") }
        // A wrong length trailer (last four bytes).
        var badLength = packed
        badLength[packed.count - 1] ^= 0x40
        assertDataError(["len.gz"]) { try Gzip.decompress(badLength, source: "len.gz") }
        // Not gzip at all.
        assertDataError(["plain.txt", "gzip header", "1f 8b"]) { try Gzip.decompress(data, source: "plain.txt") }
        assertDataError(["none.gz", "gzip header"]) { try Gzip.decompress([], source: "none.gz") }
        // Garbage after a complete member.
        assertDataError(["tail.gz", "end of data expected"]) { try Gzip.decompress(packed + [1, 2, 3], source: "tail.gz") }
    }

    /// The ISIZE trailer is only a hint for the first allocation: a small file claiming
    /// 0xFFFFFFFF bytes reserves at most what deflate could produce from it, and the length check
    /// still fails with zlib's own message.
    func testTrailerSizeClaimIsBoundedByTheCompressedSize() {
        func claiming(_ packed: [UInt8], _ isize: [UInt8]) -> [UInt8] { Array(packed.dropLast(4)) + isize }
        let tiny = Gzip.compress(Array("SwiftGAN\n".utf8))
        XCTAssertEqual(Gzip.capacityHint(gzip: claiming(tiny, [0xFF, 0xFF, 0xFF, 0xFF])), 1 << 16, "the 64 KiB floor")
        let noise = Gzip.compress(pseudoRandomBytes(100_000, seed: 5))
        XCTAssertGreaterThan(noise.count, 100_000 - 1, "random bytes do not compress")
        XCTAssertEqual(Gzip.capacityHint(gzip: claiming(noise, [0xFF, 0xFF, 0xFF, 0xFF])), noise.count * 1032)
        // An honest claim is believed.
        let zeros = Gzip.compress([UInt8](repeating: 0, count: 3_000_000))
        XCTAssertEqual(Gzip.capacityHint(gzip: zeros), 3_000_000)
        assertDataError(["huge.gz", "gzip stream", "incorrect length check"]) {
            try Gzip.decompress(claiming(tiny, [0xFF, 0xFF, 0xFF, 0xFF]), source: "huge.gz")
        }
        var badCRC = tiny
        badCRC[tiny.count - 8] ^= 0x01
        assertDataError(["crc.gz", "gzip stream", "incorrect data check"]) { try Gzip.decompress(badCRC, source: "crc.gz") }
    }

    func testDecompressedSizeIsCapped() {
        let bomb = Gzip.compress([UInt8](repeating: 0, count: 4_000_000))
        assertDataError(["bomb.gz", "at most 1000000 decompressed bytes"]) {
            try Gzip.decompress(bomb, source: "bomb.gz", maximumSize: 1_000_000)
        }
        XCTAssertNoThrow(try Gzip.decompress(bomb, source: "bomb.gz", maximumSize: 4_000_000))
    }

    func testZlibRoundTripAndKnownStream() throws {
        let data = pseudoRandomBytes(70_000, seed: 4) + [UInt8](repeating: 1, count: 70_000)
        XCTAssertEqual(try Gzip.zlibInflate(Gzip.zlibDeflate(data), source: "z"), data)
        // CPython's zlib.compress(b"abc").
        XCTAssertEqual(try Gzip.zlibInflate([0x78, 0x9C, 0x4B, 0x4C, 0x4A, 0x06, 0x00, 0x02, 0x4D, 0x01, 0x27], source: "z"), Array("abc".utf8))
        assertDataError(["z", "zlib stream"]) { try Gzip.zlibInflate([0x78, 0x9C, 0x4B, 0x4C], source: "z") }
    }

    func testCRC32CheckValue() {
        // The standard check value of CRC-32/ISO-HDLC.
        XCTAssertEqual(Gzip.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(Gzip.crc32(Array("6789".utf8), initial: Gzip.crc32(Array("12345".utf8))), 0xCBF4_3926)
        XCTAssertEqual(Gzip.crc32([]), 0)
    }
}
