#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
import GANTestSupport
import XCTest
import GANTensor
@testable import GANData

/// Randomly damaged files must produce a `DataError` or a valid result, never a crash.
final class HostileInputTests: XCTestCase {
    /// Applies `decode` to `trials` copies of `valid`, each with a few random byte changes or a
    /// random truncation; any error other than `DataError` fails the test.
    func fuzz<T>(_ valid: [UInt8], trials: Int, seed: UInt64, _ decode: ([UInt8]) throws -> T) {
        let rng = RandomGenerator(seed: seed)
        var rejected = 0
        for _ in 0..<trials {
            var bytes = valid
            if rng.nextInt(below: 4) == 0 {
                bytes = Array(bytes.prefix(rng.nextInt(below: bytes.count)))
            } else {
                // 1 to 4 positions get random values.
                for _ in 0...rng.nextInt(below: 4) {
                    bytes[rng.nextInt(below: bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            do {
                _ = try decode(bytes)
            } catch is DataError {
                rejected += 1
            } catch {
                XCTFail("unexpected error type \(type(of: error)): \(error)")
            }
        }
        XCTAssertGreaterThan(rejected, trials / 4, "most damaged files should be rejected")
    }

    func testDamagedFilesAreRejectedCleanly() {
        let png = PNG.encode(pixels: pseudoRandomBytes(9 * 6 * 3, seed: 1), width: 9, height: 6, channels: 3)
        fuzz(png, trials: 2000, seed: 1) { try PNG.decode($0, source: "f.png") }
        let gz = Gzip.compress(Array(String(repeating: "hostile input ", count: 50).utf8))
        fuzz(gz, trials: 2000, seed: 2) { try Gzip.decompress($0, source: "f.gz", maximumSize: 1 << 20) }
        let npy = NPY.encode(Tensor(shape: [3, 4], values: (0..<12).map(Float.init)))
        fuzz(npy, trials: 2000, seed: 3) { try NPY.decode($0, source: "f.npy") }
        let idx = IDX.encode(dimensions: [2, 3, 3], values: pseudoRandomBytes(18, seed: 4))
        fuzz(idx, trials: 2000, seed: 4) { try IDX.parseImages($0, source: "f.idx") }
    }

    func testHugeClaimsFailWithoutAllocating() {
        // A gzip trailer claiming 4 GiB of output for a few bytes of input.
        var gz = Gzip.compress([1, 2, 3])
        gz.replaceSubrange((gz.count - 4)..., with: [0xFF, 0xFF, 0xFF, 0xFF])
        assertDataError(["big.gz", "gzip stream"]) { try Gzip.decompress(gz, source: "big.gz") }
        // An .npy header claiming 10^12 floats.
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }"
        var npy = NPY.magic + [1, 0, UInt8(header.utf8.count + 1), 0] + Array(header.utf8) + [0x0A]
        npy += [0, 0, 0, 0]
        assertDataError(["big.npy", "npy data"]) { try NPY.decode(npy, source: "big.npy") }
    }

    /// A FIFO where a data file is expected is refused at once as not a regular file; a blocking
    /// open would wait for a writer forever. (Should the read hang, the test opens the FIFO for
    /// writing after 10 s to release it, and fails.)
    func testFIFOIsRefusedPromptly() throws {
        let dir = try makeTemporaryDirectory(self)
        let fifo = DataFiles.join(dir, "train-images-idx3-ubyte.gz")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0, "mkfifo: \(String(cString: strerror(errno)))")
        let outcome = errorReadingFIFO(fifo, "DataFiles.read") { _ = try DataFiles.read(fifo) }
        assertDataError([fifo, "open", "a regular file expected, found a FIFO"]) { if let outcome { throw outcome } }
    }
}
