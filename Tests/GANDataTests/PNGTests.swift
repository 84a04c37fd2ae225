import Foundation
import XCTest
@testable import GANData

final class PNGTests: XCTestCase {
    func testRoundTripGreyAndRGBAtOddSizes() throws {
        for (width, height, channels) in [(7, 5, 1), (7, 5, 3), (1, 1, 1), (3, 11, 3), (300, 2, 1)] {
            let pixels = pseudoRandomBytes(width * height * channels, seed: UInt64(width * 100 + height * 10 + channels))
            let file = PNG.encode(pixels: pixels, width: width, height: height, channels: channels)
            XCTAssertEqual(Array(file.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            let image = try PNG.decode(file, source: "rt.png")
            XCTAssertEqual(image.width, width)
            XCTAssertEqual(image.height, height)
            XCTAssertEqual(image.channels, channels)
            XCTAssertEqual(image.pixels, pixels, "\(width)×\(height)×\(channels)")
        }
    }

    func testWriteAndReadFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = DataFiles.join(dir, "sub/picture.png")
        let pixels = pseudoRandomBytes(4 * 3 * 3, seed: 5)
        try PNG.write(pixels: pixels, width: 4, height: 3, channels: 3, to: path)
        XCTAssertEqual(try PNG.read(path).pixels, pixels)
    }

    /// The widely used 1×1 PNG (RGBA (0, 0, 255, 127), row filter Sub) from another encoder.
    func testDecodesKnownRGBAFile() throws {
        let base64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
        let image = try PNG.decode([UInt8](Data(base64Encoded: base64)!), source: "pixel.png")
        XCTAssertEqual(image.width, 1)
        XCTAssertEqual(image.height, 1)
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.pixels, [0, 0, 255])
    }

    // MARK: Filters, encoded here independently of the decoder

    /// Forward filtering of one row, as an encoder would do it (PNG spec §9.2).
    func filterRow(_ type: UInt8, row: [UInt8], above: [UInt8], bpp: Int) -> [UInt8] {
        (0..<row.count).map { x in
            let a = x >= bpp ? Int(row[x - bpp]) : 0
            let b = Int(above[x])
            let c = x >= bpp ? Int(above[x - bpp]) : 0
            let predictor: Int
            switch type {
            case 0: predictor = 0
            case 1: predictor = a
            case 2: predictor = b
            case 3: predictor = (a + b) / 2
            default:
                let p = a + b - c
                let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
                predictor = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c)
            }
            return UInt8(truncatingIfNeeded: Int(row[x]) - predictor)
        }
    }

    /// A PNG file with the given colour type whose row y uses filter `filters(y)`.
    func filteredPNG(pixels: [UInt8], width: Int, height: Int, colorType: UInt8, bpp: Int, filters: (Int) -> UInt8,
                     extraChunks: [[UInt8]] = []) -> [UInt8] {
        let stride = width * bpp
        var raw: [UInt8] = []
        for y in 0..<height {
            let row = Array(pixels[(y * stride)..<((y + 1) * stride)])
            let above = y == 0 ? [UInt8](repeating: 0, count: stride) : Array(pixels[((y - 1) * stride)..<(y * stride)])
            raw.append(filters(y))
            raw += filterRow(filters(y), row: row, above: above, bpp: bpp)
        }
        let ihdr = bigEndianBytes(UInt32(width)) + bigEndianBytes(UInt32(height)) + [8, colorType, 0, 0, 0]
        var file = PNG.signature + PNG.chunk(type: "IHDR", data: ihdr)
        for extra in extraChunks { file += extra }
        let compressed = Gzip.zlibDeflate(raw)
        // Split the data over two IDAT chunks, as encoders may.
        let half = compressed.count / 2
        file += PNG.chunk(type: "IDAT", data: Array(compressed[..<half])) + PNG.chunk(type: "IDAT", data: Array(compressed[half...]))
        return file + PNG.chunk(type: "IEND", data: [])
    }

    func testEachFilterTypeDecodes() throws {
        let (width, height) = (7, 5)
        // A smooth gradient plus noise, so that every predictor is exercised with carries.
        let noise = pseudoRandomBytes(width * height * 3, seed: 11)
        let rgb = (0..<(width * height * 3)).map { i in UInt8(truncatingIfNeeded: (i / 3) * 9 + (i % 3) * 80 + Int(noise[i] % 40)) }
        for filter: UInt8 in 0...4 {
            let file = filteredPNG(pixels: rgb, width: width, height: height, colorType: 2, bpp: 3, filters: { _ in filter })
            XCTAssertEqual(try PNG.decode(file, source: "f\(filter).png").pixels, rgb, "filter \(filter)")
        }
        let mixed = filteredPNG(pixels: rgb, width: width, height: height, colorType: 2, bpp: 3, filters: { UInt8($0 % 5) })
        XCTAssertEqual(try PNG.decode(mixed, source: "mixed.png").pixels, rgb)

        let grey = Array(noise.prefix(width * height))
        for filter: UInt8 in 1...4 {
            let file = filteredPNG(pixels: grey, width: width, height: height, colorType: 0, bpp: 1, filters: { _ in filter })
            XCTAssertEqual(try PNG.decode(file, source: "g\(filter).png").pixels, grey, "grey filter \(filter)")
        }
    }

    /// Paeth ties (PNG spec §9.4): prefer a, then b, then c.
    func testPaethTieBreaking() throws {
        // Pixel (1, 1) has a = left, b = above, c = upper left.
        // a = 0, b = 30, c = 20: p = 10, |p−a| = |p−c| = 10 < |p−b| = 20 → a.
        // a = 10, b = 40, c = 20: p = 30, |p−b| = |p−c| = 10 < |p−a| = 20 → b.
        for image: [UInt8] in [[20, 30, 0, 77], [20, 40, 10, 77], [200, 3, 99, 255]] {
            let file = filteredPNG(pixels: image, width: 2, height: 2, colorType: 0, bpp: 1, filters: { _ in 4 })
            XCTAssertEqual(try PNG.decode(file, source: "tie.png").pixels, image)
        }
        // Large random images hit every kind of tie many times.
        let noise = pseudoRandomBytes(64 * 32 * 3, seed: 12).map { $0 & 0xF0 }
        for filter: UInt8 in 1...4 {
            let file = filteredPNG(pixels: noise, width: 64, height: 32, colorType: 2, bpp: 3, filters: { _ in filter })
            XCTAssertEqual(try PNG.decode(file, source: "noise.png").pixels, noise, "filter \(filter)")
        }
    }

    func testAlphaIsDroppedAndPaletteExpanded() throws {
        // Grey + alpha, 3×2: alpha bytes are 200 + x.
        let greyAlpha: [UInt8] = [10, 200, 20, 201, 30, 202, 40, 200, 50, 201, 60, 202]
        let ga = try PNG.decode(filteredPNG(pixels: greyAlpha, width: 3, height: 2, colorType: 4, bpp: 2, filters: { _ in 4 }), source: "ga.png")
        XCTAssertEqual(ga.channels, 1)
        XCTAssertEqual(ga.pixels, [10, 20, 30, 40, 50, 60])
        // RGBA, 2×1.
        let rgba = try PNG.decode(filteredPNG(pixels: [1, 2, 3, 4, 5, 6, 7, 8], width: 2, height: 1, colorType: 6, bpp: 4, filters: { _ in 1 }), source: "rgba.png")
        XCTAssertEqual(rgba.channels, 3)
        XCTAssertEqual(rgba.pixels, [1, 2, 3, 5, 6, 7])
        // Palette of two colours, 3×1 indices [1, 0, 1].
        let plte = PNG.chunk(type: "PLTE", data: [255, 0, 0, 0, 0, 255])
        let indexed = try PNG.decode(filteredPNG(pixels: [1, 0, 1], width: 3, height: 1, colorType: 3, bpp: 1, filters: { _ in 0 }, extraChunks: [plte]), source: "p.png")
        XCTAssertEqual(indexed.pixels, [0, 0, 255, 255, 0, 0, 0, 0, 255])
        assertDataError(["p.png", "palette index below 2", "got 2"]) {
            try PNG.decode(filteredPNG(pixels: [2], width: 1, height: 1, colorType: 3, bpp: 1, filters: { _ in 0 }, extraChunks: [plte]), source: "p.png")
        }
    }

    // MARK: Rejection

    func testBadSignatureCRCAndTruncationAreRejected() {
        let file = PNG.encode(pixels: pseudoRandomBytes(7 * 5, seed: 2), width: 7, height: 5, channels: 1)
        var badSignature = file
        badSignature[1] = 0x51
        assertDataError(["a.png", "PNG signature"]) { try PNG.decode(badSignature, source: "a.png") }
        assertDataError(["a.png", "PNG signature", "an empty file"]) { try PNG.decode([], source: "a.png") }

        // Byte 20 lies in IHDR's data (IHDR data spans bytes 16..<29).
        var badCRC = file
        badCRC[20] ^= 0x01
        assertDataError(["b.png", "IHDR chunk CRC"]) { try PNG.decode(badCRC, source: "b.png") }
        var badIDAT = file
        badIDAT[45] ^= 0x80  // inside the IDAT data (the IDAT chunk starts at byte 33)
        assertDataError(["b.png", "IDAT chunk CRC"]) { try PNG.decode(badIDAT, source: "b.png") }

        for keep in [8, 20, 40, file.count - 12, file.count - 1] {
            assertDataError(["c.png", "truncated"]) { try PNG.decode(Array(file.prefix(keep)), source: "c.png") }
        }
    }

    func testUnsupportedAndAbsurdHeadersAreRejected() {
        func withHeader(_ width: UInt32, _ height: UInt32, depth: UInt8 = 8, colorType: UInt8 = 0, interlace: UInt8 = 0) -> [UInt8] {
            let ihdr = bigEndianBytes(width) + bigEndianBytes(height) + [depth, colorType, 0, 0, interlace]
            return PNG.signature + PNG.chunk(type: "IHDR", data: ihdr)
                + PNG.chunk(type: "IDAT", data: Gzip.zlibDeflate([0, 0])) + PNG.chunk(type: "IEND", data: [])
        }
        assertDataError(["h.png", "IHDR size", "at most 268435456 pixels", "100000×100000"]) { try PNG.decode(withHeader(100_000, 100_000), source: "h.png") }
        assertDataError(["h.png", "IHDR size"]) { try PNG.decode(withHeader(0, 5), source: "h.png") }
        assertDataError(["h.png", "IHDR bit depth", "got 16"]) { try PNG.decode(withHeader(1, 1, depth: 16), source: "h.png") }
        assertDataError(["h.png", "IHDR interlace method", "Adam7"]) { try PNG.decode(withHeader(1, 1, interlace: 1), source: "h.png") }
        assertDataError(["h.png", "IHDR colour type", "got 5"]) { try PNG.decode(withHeader(1, 1, colorType: 5), source: "h.png") }
        assertDataError(["h.png", "PLTE", "colour type 3"]) { try PNG.decode(withHeader(1, 1, colorType: 3), source: "h.png") }
        XCTAssertNoThrow(try PNG.decode(withHeader(1, 1), source: "h.png"))
        // A claimed size the data does not fill.
        assertDataError(["h.png", "IDAT", "bytes of filtered rows expected"]) { try PNG.decode(withHeader(2, 2), source: "h.png") }
        // Invalid filter type 5.
        let badFilter = PNG.signature + PNG.chunk(type: "IHDR", data: bigEndianBytes(1) + bigEndianBytes(1) + [8, 0, 0, 0, 0])
            + PNG.chunk(type: "IDAT", data: Gzip.zlibDeflate([5, 0])) + PNG.chunk(type: "IEND", data: [])
        assertDataError(["f.png", "IDAT row 0", "filter type 0...4 expected, got 5"]) { try PNG.decode(badFilter, source: "f.png") }
        // A palette of 2 bytes (not whole RGB entries), a second IHDR, and no IDAT at all
        // (the inputs saved in FuzzRegressions/png-1…3.bin).
        let ihdr = PNG.chunk(type: "IHDR", data: bigEndianBytes(1) + bigEndianBytes(1) + [8, 3, 0, 0, 0])
        let idat = PNG.chunk(type: "IDAT", data: Gzip.zlibDeflate([0, 0])), iend = PNG.chunk(type: "IEND", data: [])
        assertDataError(["p.png", "PLTE", "1 to 256 RGB entries", "got 2 bytes"]) {
            try PNG.decode(PNG.signature + ihdr + PNG.chunk(type: "PLTE", data: [255, 0]) + idat + iend, source: "p.png")
        }
        assertDataError(["i.png", "IHDR", "a single IHDR chunk expected, found another at offset 33"]) {
            try PNG.decode(PNG.signature + ihdr + ihdr + idat + iend, source: "i.png")
        }
        assertDataError(["d.png", "IDAT", "at least one IDAT chunk"]) { try PNG.decode(PNG.signature + ihdr + iend, source: "d.png") }
        // IDAT before IHDR.
        let noHeader = PNG.signature + PNG.chunk(type: "IDAT", data: [1]) + PNG.chunk(type: "IEND", data: [])
        assertDataError(["n.png", "first chunk", "IHDR expected, got IDAT"]) { try PNG.decode(noHeader, source: "n.png") }
        // Ancillary chunks are skipped; unknown critical ones are not.
        let base = PNG.encode(pixels: [9], width: 1, height: 1, channels: 1)
        let withText = Array(base[..<33]) + PNG.chunk(type: "tEXt", data: Array("Comment\0hi".utf8)) + Array(base[33...])
        XCTAssertEqual(try PNG.decode(withText, source: "t.png").pixels, [9])
        let withCritical = Array(base[..<33]) + PNG.chunk(type: "ABCD", data: []) + Array(base[33...])
        assertDataError(["t.png", "ABCD"]) { try PNG.decode(withCritical, source: "t.png") }
    }
}
