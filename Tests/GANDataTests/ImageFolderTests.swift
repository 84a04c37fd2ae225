import XCTest
import GANTensor
@testable import GANData

final class ImageFolderTests: XCTestCase {
    func testLoadsSortedResizesAndCrops() throws {
        let dir = try makeTemporaryDirectory(self)
        // b.png: 4×4 grey, 2×2 blocks of 0, 40, 80, 120 → shrinking to 2 averages each block.
        let blocks: [UInt8] = [0, 0, 40, 40,
                               0, 0, 40, 40,
                               80, 80, 120, 120,
                               80, 80, 120, 120]
        try PNG.write(pixels: blocks, width: 4, height: 4, channels: 1, to: DataFiles.join(dir, "b.png"))
        // a.png: 6×2 grey (wider): shorter side 2 already, centre crop keeps columns 2 and 3.
        try PNG.write(pixels: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110], width: 6, height: 2, channels: 1, to: DataFiles.join(dir, "a.png"))
        // c.png: 2×6 grey (taller), rows of 0, 10, …, 50: the centre crop keeps rows 2 and 3.
        try PNG.write(pixels: (0..<12).map { UInt8($0 / 2 * 10) }, width: 2, height: 6, channels: 1, to: DataFiles.join(dir, "c.png"))
        // d.png: 8×4 grey, value 20·x: halved to 4×2, scaled column j = mean(40j, 40j + 20) = 40j + 10;
        // the crop keeps scaled columns 1 and 2.
        try PNG.write(pixels: (0..<32).map { UInt8($0 % 8 * 20) }, width: 8, height: 4, channels: 1, to: DataFiles.join(dir, "d.png"))
        try DataFiles.writeAtomically([1, 2, 3], to: DataFiles.join(dir, "notes.txt"))

        let set = try ImageFolder.load(directory: dir, channels: 1, size: 2)
        XCTAssertEqual(set.images.shape, [4, 1, 2, 2])
        XCTAssertEqual(set.labels, [0, 0, 0, 0])
        XCTAssertEqual(set.classCount, 1)
        let values = set.images.scalars.map { ($0 * 255).rounded() }
        XCTAssertEqual(Array(values[0..<4]), [20, 30, 80, 90], "a.png comes first, centre columns")
        XCTAssertEqual(Array(values[4..<8]), [0, 40, 80, 120], "b.png block averages")
        XCTAssertEqual(Array(values[8..<12]), [20, 20, 30, 30], "c.png centre rows")
        XCTAssertEqual(Array(values[12..<16]), [50, 90, 50, 90], "d.png area-averaged centre columns")
    }

    func testAreaAveragingOfUnevenBlocks() {
        // 3 samples down to 2: output 0 covers [0, 1.5) = sample 0 + half of sample 1.
        let w = ImageFolder.axisWeights(input: 3, output: 2, keep: 0..<2)
        XCTAssertEqual(w[0].map { $0.0 }, [0, 1])
        XCTAssertEqual(w[0][0].1, 2.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(w[0][1].1, 1.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(w[1].map { $0.0 }, [1, 2])
    }

    func testBilinearEnlargement() throws {
        // A 2×2 image [0, 255; 0, 255] enlarged to 4×4: centres at −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
        let dir = try makeTemporaryDirectory(self)
        try PNG.write(pixels: [0, 255, 0, 255], width: 2, height: 2, channels: 1, to: DataFiles.join(dir, "x.png"))
        let set = try ImageFolder.load(directory: dir, channels: 1, size: 4)
        let row = Array(set.images.scalars[0..<4])
        for (got, want) in zip(row, [0, 0.25, 0.75, 1] as [Float]) { XCTAssertEqual(got, want, accuracy: 1e-6) }
        XCTAssertEqual(Array(set.images.scalars[12..<16]), row, "rows are equal")
    }

    func testChannelConversion() throws {
        let dir = try makeTemporaryDirectory(self)
        try PNG.write(pixels: [255, 0, 0], width: 1, height: 1, channels: 3, to: DataFiles.join(dir, "red.png"))
        let grey = try ImageFolder.load(directory: dir, channels: 1, size: 1)
        XCTAssertEqual(grey.images.scalars[0], 0.299, accuracy: 1e-5, "BT.601 luma of pure red")
        let rgb = try ImageFolder.load(directory: dir, channels: 3, size: 1)
        XCTAssertEqual(rgb.images.scalars, [1, 0, 0])

        let greyDir = try makeTemporaryDirectory(self)
        try PNG.write(pixels: [51], width: 1, height: 1, channels: 1, to: DataFiles.join(greyDir, "g.png"))
        XCTAssertEqual(try ImageFolder.load(directory: greyDir, channels: 3, size: 1).images.scalars, [0.2, 0.2, 0.2])
    }

    func testErrorsNameTheFileOrFolder() throws {
        let dir = try makeTemporaryDirectory(self)
        assertDataError([dir, "at least one .png file"]) { try ImageFolder.load(directory: dir, channels: 1, size: 8) }
        try DataFiles.writeAtomically(Array("not a png".utf8), to: DataFiles.join(dir, "broken.png"))
        assertDataError(["broken.png", "PNG signature"]) { try ImageFolder.load(directory: dir, channels: 1, size: 8) }
        assertDataError([dir + "/missing", "folder"]) { try ImageFolder.load(directory: dir + "/missing", channels: 1, size: 8) }
    }
}
