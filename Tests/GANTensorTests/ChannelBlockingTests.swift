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

    /// ``BlockedLayout`` places element (a, b, c, d) at `expected(a, b, c, d)`, converts into it
    /// (padding zeroed, every other element written) and back.
    private func checkBlockedLayout(
        _ layout: BlockedLayout, transposes: Bool, expected: (Int, Int, Int, Int) -> Int, _ name: String
    ) {
        XCTAssertEqual(layout.usesTransposes, transposes, name)
        let dims = layout.dimensions, count = dims.reduce(1, *)
        let plain = RandomGenerator(seed: UInt64(count)).normal([count])
        var blocked = [Float](repeating: .nan, count: layout.floats)
        blocked.withUnsafeMutableBufferPointer { ChannelBlocking.toBlocked(plain.pointer, $0.baseAddress!, layout: layout) }
        var written = Set<Int>(), n = 0
        for a in 0..<dims[0] { for b in 0..<dims[1] { for c in 0..<dims[2] { for d in 0..<dims[3] {
            let offset = expected(a, b, c, d)
            XCTAssertEqual(layout.offset([a, b, c, d]), offset, "\(name) (\(a), \(b), \(c), \(d))")
            XCTAssertEqual(blocked[offset], plain.pointer[n], "\(name) (\(a), \(b), \(c), \(d))")
            written.insert(offset); n += 1
        } } } }
        XCTAssertEqual(written.count, count, "\(name): two elements at one offset")
        for offset in 0..<layout.floats where !written.contains(offset) { XCTAssertEqual(blocked[offset], 0, "\(name) padding \(offset)") }
        var back = [Float](repeating: .nan, count: count)
        back.withUnsafeMutableBufferPointer { out in
            blocked.withUnsafeBufferPointer { ChannelBlocking.toPlain($0.baseAddress!, out.baseAddress!, layout: layout) }
        }
        XCTAssertEqual(back, plain.scalars, name)
    }

    /// oneDNN's weight layouts by their formulas, odd spatial sizes: `OIhw16i16o` (the input
    /// channel's block outside the output channel's), a twice-blocked `OIhw4i16o4i` (the input
    /// channel's remainder split into two digits around the output channel's; whole, and over 18
    /// input channels padded to 32, so its last block of 4 is cut short), `Ohwi32o` over 48
    /// output channels (padded to 64): all moved by transposes. Then layouts moved
    /// element by element: the last dimension blocked by 2 innermost and its blocks outermost,
    /// whole and padded (5 → 6).
    func testBlockedLayoutsByFormula() {
        let (o, i, h, w) = (32, 48, 3, 5)
        checkBlockedLayout(
            BlockedLayout(dimensions: [o, i, h, w], paddedDimensions: [o, i, h, w],
                          outerStrides: [i / 16 * h * w * 256, h * w * 256, w * 256, 256], innerBlocks: [(1, 16), (0, 16)]),
            transposes: true, expected: { a, b, c, d in ((a / 16 * (i / 16) + b / 16) * h * w + c * w + d) * 256 + b % 16 * 16 + a % 16 },
            "OIhw16i16o")
        let (o2, h2, w2) = (16, 2, 3)
        for (i2, name) in [(32, "OIhw4i16o4i"), (18, "OIhw4i16o4i padded")] {
            checkBlockedLayout(
                BlockedLayout(dimensions: [o2, i2, h2, w2], paddedDimensions: [o2, 32, h2, w2],
                              outerStrides: [2 * h2 * w2 * 256, h2 * w2 * 256, w2 * 256, 256],
                              innerBlocks: [(1, 4), (0, 16), (1, 4)]),
                transposes: true,
                expected: { a, b, c, d in
                    ((a / 16 * 2 + b / 16) * h2 * w2 + c * w2 + d) * 256 + b % 16 / 4 * 64 + a % 16 * 4 + b % 4
                },
                name)
        }
        let (o3, i3, h3, w3) = (48, 5, 3, 1)
        checkBlockedLayout(
            BlockedLayout(dimensions: [o3, i3, h3, w3], paddedDimensions: [64, i3, h3, w3],
                          outerStrides: [h3 * w3 * i3 * 32, 32, w3 * i3 * 32, i3 * 32], innerBlocks: [(0, 32)]),
            transposes: true, expected: { a, b, c, d in a / 32 * h3 * w3 * i3 * 32 + ((c * w3 + d) * i3 + b) * 32 + a % 32 },
            "Ohwi32o padded")
        for (width, name) in [(6, "last dimension blocked"), (5, "last dimension blocked, padded")] {
            checkBlockedLayout(
                BlockedLayout(dimensions: [5, 3, 2, width], paddedDimensions: [5, 3, 2, 6],
                              outerStrides: [12, 4, 2, 60], innerBlocks: [(3, 2)]),
                transposes: false, expected: { a, b, c, d in a * 12 + b * 4 + c * 2 + d / 2 * 60 + d % 2 }, name)
        }
    }
}
