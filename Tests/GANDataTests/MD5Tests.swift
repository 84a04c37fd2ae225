import XCTest
@testable import GANData

final class MD5Tests: XCTestCase {
    /// Test vectors of RFC 1321, appendix A.5, and the well-known pangram digest.
    func testKnownDigests() {
        let vectors: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
            ("The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6"),
        ]
        for (text, digest) in vectors {
            XCTAssertEqual(MD5.hex(Array(text.utf8)), digest, "md5(\"\(text)\")")
        }
    }

    func testIncrementalUpdatesMatchOneShot() {
        let data = pseudoRandomBytes(1000, seed: 9)
        let expected = MD5.hash(data)
        for cuts in [[1, 63, 64, 65, 200], [55, 56, 57], [0, 999], [128, 512]] {
            var md5 = MD5()
            var start = 0
            for cut in cuts + [data.count] {
                md5.update(Array(data[start..<cut]))
                start = cut
            }
            XCTAssertEqual(md5.finalize(), expected, "cuts \(cuts)")
        }
    }

    func testVerifyReportsBothDigests() {
        XCTAssertNoThrow(try MD5.verify(Array("abc".utf8), expectedHex: "900150983CD24FB0D6963F7D28E17F72", source: "abc.txt"))
        assertDataError(["abc.txt", "checksum", "md5 d41d8cd98f00b204e9800998ecf8427e", "got 900150983cd24fb0d6963f7d28e17f72"]) {
            try MD5.verify(Array("abc".utf8), expectedHex: "d41d8cd98f00b204e9800998ecf8427e", source: "abc.txt")
        }
    }
}
