import XCTest
@testable import GANTensor

final class ChannelBlockingTests: XCTestCase {
    /// Converts `plain` into `layout`, checks every element against `index(n, c, p)` (its place
    /// in the converted array), and converts back.
    private func checkRoundTrip(
        images: Int, channels: Int, pixels: Int, _ layout: ActivationLayout, index: (Int, Int, Int) -> Int
    ) {
        let count = images * channels * pixels
        let plain = RandomGenerator(seed: UInt64(count)).normal([count])
        var converted = [Float](repeating: .nan, count: count)
        converted.withUnsafeMutableBufferPointer { out in
            ChannelBlocking.toBlocked(plain.pointer, out.baseAddress!, images: images, channels: channels, pixels: pixels, layout: layout)
        }
        for n in 0..<images { for c in 0..<channels { for p in 0..<pixels {
            XCTAssertEqual(converted[index(n, c, p)], plain.pointer[(n * channels + c) * pixels + p], "\(layout) n \(n) c \(c) p \(p)")
        } } }
        var back = [Float](repeating: .nan, count: count)
        back.withUnsafeMutableBufferPointer { out in
            converted.withUnsafeBufferPointer { b in
                ChannelBlocking.toPlain(b.baseAddress!, out.baseAddress!, images: images, channels: channels, pixels: pixels, layout: layout)
            }
        }
        XCTAssertEqual(back, plain.scalars, "\(channels) channels in \(layout)")
    }

    /// blocked[n][g][p][j] = plain[n][g·b + j][p], element by element, and back: blocks of 16
    /// and 8, pixel counts below, at and above a 4×4 tile, with and without edge pixels, and
    /// fewer pixels than channels (the transpose then walks the channels outside).
    func testBlockedLayoutFormulaAndRoundTrip() {
        for (images, channels, pixels, block) in [(3, 32, 7 * 5, 16), (2, 24, 13, 8), (1, 16, 1, 16), (1, 16, 33, 16), (2, 8, 8, 8)] {
            let groups = channels / block
            checkRoundTrip(images: images, channels: channels, pixels: pixels, .blocked(block)) { n, c, p in
                let (g, j) = c.quotientAndRemainder(dividingBy: block)
                return ((n * groups + g) * pixels + p) * block + j
            }
        }
    }

    /// channelsLast[n][p][c] = plain[n][c][p] (NHWC), element by element, and back: channel
    /// counts moved 16 at a time (32, 48) and 8 at a time (24, 8), odd pixel counts.
    func testChannelsLastFormulaAndRoundTrip() {
        for (images, channels, pixels) in [(3, 32, 7 * 5), (2, 48, 13), (2, 24, 17), (1, 16, 1), (2, 8, 8)] {
            checkRoundTrip(images: images, channels: channels, pixels: pixels, .channelsLast) { n, c, p in
                (n * pixels + p) * channels + c
            }
        }
    }
}
