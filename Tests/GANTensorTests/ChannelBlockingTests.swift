import XCTest
@testable import GANTensor

final class ChannelBlockingTests: XCTestCase {
    /// blocked[n][g][p][j] = plain[n][g·b + j][p], checked element by element, and back: the SIMD
    /// paths for blocks of 16 and 8, pixel counts below, at and above a vector, with and
    /// without a remainder.
    func testLayoutFormulaAndRoundTrip() {
        for (images, channels, pixels, block) in [(3, 32, 7 * 5, 16), (2, 24, 13, 8), (1, 16, 1, 16), (1, 16, 33, 16), (2, 8, 8, 8)] {
            let count = images * channels * pixels
            let plain = RandomGenerator(seed: UInt64(count)).normal([count])
            var blocked = [Float](repeating: .nan, count: count)
            blocked.withUnsafeMutableBufferPointer { out in
                ChannelBlocking.toBlocked(plain.pointer, out.baseAddress!, images: images, channels: channels, pixels: pixels, block: block)
            }
            let groups = channels / block
            for n in 0..<images { for c in 0..<channels { for p in 0..<pixels {
                let (g, j) = c.quotientAndRemainder(dividingBy: block)
                XCTAssertEqual(blocked[((n * groups + g) * pixels + p) * block + j], plain.pointer[(n * channels + c) * pixels + p])
            } } }
            var back = [Float](repeating: .nan, count: count)
            back.withUnsafeMutableBufferPointer { out in
                blocked.withUnsafeBufferPointer { b in
                    ChannelBlocking.toPlain(b.baseAddress!, out.baseAddress!, images: images, channels: channels, pixels: pixels, block: block)
                }
            }
            XCTAssertEqual(back, plain.scalars, "\(channels) channels in blocks of \(block)")
        }
    }
}
