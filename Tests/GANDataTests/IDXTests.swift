import XCTest
@testable import GANData

final class IDXTests: XCTestCase {
    /// A 2-image 2×3 file built byte by byte from the format description.
    func testHandBuiltImagesAndLabels() throws {
        let images: [UInt8] = [0, 0, 0x08, 3] + bigEndianBytes(2) + bigEndianBytes(2) + bigEndianBytes(3)
            + [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]
        let parsed = try IDX.parseImages(images, source: "images")
        XCTAssertEqual(parsed.count, 2)
        XCTAssertEqual(parsed.rows, 2)
        XCTAssertEqual(parsed.columns, 3)
        XCTAssertEqual(parsed.pixels, [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255])

        let labels: [UInt8] = [0, 0, 0x08, 1] + bigEndianBytes(3) + [7, 0, 9]
        XCTAssertEqual(try IDX.parseLabels(labels, source: "labels"), [7, 0, 9])
        XCTAssertEqual(IDX.encode(dimensions: [3], values: [7, 0, 9]), labels)
    }

    func testWrongMagicIsRejectedWithBothValues() {
        let labels: [UInt8] = [0, 0, 0x08, 1] + bigEndianBytes(1) + [3]
        assertDataError(["train-images-idx3-ubyte.gz: IDX header: magic 0x00000803 expected for images, got 0x00000801"]) {
            try IDX.parseImages(labels, source: "train-images-idx3-ubyte.gz")
        }
        let images = IDX.encode(dimensions: [1, 1, 1], values: [0])
        assertDataError(["magic 0x00000801 expected for labels, got 0x00000803"]) { try IDX.parseLabels(images, source: "l") }
        assertDataError(["element type 0x08", "got 0xd"]) { try IDX.parse([0, 0, 0x0D, 1] + bigEndianBytes(0), source: "f") }
        assertDataError(["two zero bytes"]) { try IDX.parse([1, 0, 0x08, 1] + bigEndianBytes(0), source: "f") }
    }

    func testDimensionAndByteCountMismatchIsRejected() {
        let header: [UInt8] = [0, 0, 0x08, 3] + bigEndianBytes(2) + bigEndianBytes(28) + bigEndianBytes(28)
        let pixels = [UInt8](repeating: 0, count: 2 * 28 * 28)
        XCTAssertNoThrow(try IDX.parseImages(header + pixels, source: "ok"))
        assertDataError(["short", "IDX dimensions", "2×28×28 = 1568 bytes of data expected, the file holds 1567"]) {
            try IDX.parseImages(header + pixels.dropLast(), source: "short")
        }
        assertDataError(["long", "1569"]) { try IDX.parseImages(header + pixels + [0], source: "long") }
        // Header itself cut short.
        assertDataError(["cut", "IDX header", "16 header bytes expected"]) { try IDX.parseImages(Array(header.prefix(10)), source: "cut") }
        assertDataError(["tiny", "at least 4 bytes"]) { try IDX.parse([0, 0], source: "tiny") }
        // Rank 0 (FuzzRegressions/idx-1.bin): no dimension to describe the data.
        assertDataError(["r0", "IDX header", "at least one dimension expected, got 0"]) { try IDX.parse([0, 0, 0x08, 0], source: "r0") }
        // Absurd claimed sizes fail on the byte count, without allocating.
        let huge: [UInt8] = [0, 0, 0x08, 3] + bigEndianBytes(.max) + bigEndianBytes(.max) + bigEndianBytes(.max)
        assertDataError(["huge", "IDX dimensions"]) { try IDX.parseImages(huge, source: "huge") }
    }
}
