import XCTest
import GANTensor
@testable import GANData

final class ImageGridTests: XCTestCase {
    func testGeometryAndPlacement() {
        // 5 grey images of 4×6 (H×W); image i is filled with the value (i + 1) / 10.
        let (n, h, w) = (5, 4, 6)
        let values = (0..<n).flatMap { i in [Float](repeating: Float(i + 1) / 10, count: h * w) }
        let grid = ImageGrid.make(images: Tensor(shape: [n, 1, h, w], values: values), columns: 3, padding: 2)
        XCTAssertEqual(grid.width, 3 * (6 + 2) + 2)   // 26
        XCTAssertEqual(grid.height, 2 * (4 + 2) + 2)  // 14
        XCTAssertEqual(grid.channels, 1)
        XCTAssertEqual(grid.pixels.count, 26 * 14)
        func pixel(_ x: Int, _ y: Int) -> UInt8 { grid.pixels[y * grid.width + x] }
        XCTAssertEqual(pixel(0, 0), 0, "border")
        XCTAssertEqual(pixel(2, 2), 26, "image 0 top-left: round(0.1·255) = 26")
        XCTAssertEqual(pixel(7, 5), 26, "image 0 bottom-right")
        XCTAssertEqual(pixel(8, 2), 0, "gap between images 0 and 1")
        XCTAssertEqual(pixel(10, 2), 51, "image 1 starts at x = 2 + 8")
        XCTAssertEqual(pixel(2, 8), 102, "image 3 starts at row 1: y = 2 + 6, value round(0.4·255)")
        XCTAssertEqual(pixel(18, 8), 0, "the sixth cell is empty")
    }

    func testClampingRoundingAndColour() {
        // One 1×3 RGB image: red channel values −1, 0.5, 2; green NaN, 1/255·0.6, 1; blue 0.
        let values: [Float] = [-1, 0.5, 2, .nan, 0.6 / 255, 1, 0, 0, 0]
        let grid = ImageGrid.make(images: Tensor(shape: [1, 3, 1, 3], values: values), columns: 8, padding: 0)
        XCTAssertEqual(grid.width, 3)
        XCTAssertEqual(grid.height, 1)
        XCTAssertEqual(grid.channels, 3)
        XCTAssertEqual(grid.pixels, [0, 0, 0, 128, 1, 0, 255, 255, 0])
    }

    func testWritesADecodablePNG() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = DataFiles.join(dir, "grid.png")
        let images = Tensor(shape: [2, 3, 2, 2], values: (0..<24).map { Float($0) / 23 })
        try ImageGrid.writePNG(images: images, columns: 2, path: path)
        let decoded = try PNG.read(path)
        let expected = ImageGrid.make(images: images, columns: 2)
        XCTAssertEqual(decoded.width, 2 * 4 + 2)
        XCTAssertEqual(decoded.height, 6)
        XCTAssertEqual(decoded.pixels, expected.pixels)
    }
}
