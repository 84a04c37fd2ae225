import XCTest
@testable import GANData

final class CIFAR10Tests: XCTestCase {
    /// One record: the label, then red, green and blue planes where pixel (y, x) of plane c is
    /// (c·100 + y + x) mod 256.
    func record(label: UInt8) -> [UInt8] {
        var bytes = [label]
        for c in 0..<3 {
            for y in 0..<32 {
                for x in 0..<32 { bytes.append(UInt8((c * 100 + y + x) % 256)) }
            }
        }
        return bytes
    }

    func testTwoRecordFile() throws {
        var second = record(label: 9)
        second[1] = 255  // red (0, 0) of the second image
        let set = try CIFAR10.parse(record(label: 3) + second, source: "two.bin")
        XCTAssertEqual(set.images.shape, [2, 3, 32, 32])
        XCTAssertEqual(set.labels, [3, 9])
        XCTAssertEqual(set.classCount, 10)
        XCTAssertEqual(set.images[0, 0, 0, 0], 0)
        XCTAssertEqual(set.images[0, 1, 2, 3], Float(105) / 255, accuracy: 1e-7)
        XCTAssertEqual(set.images[0, 2, 31, 31], Float(262 % 256) / 255, accuracy: 1e-7)
        XCTAssertEqual(set.images[1, 0, 0, 0], 1)
        XCTAssertEqual(set.images[1, 2, 0, 1], Float(201) / 255, accuracy: 1e-7)
    }

    func testBadSizeAndLabelAreRejected() {
        let good = record(label: 1)
        assertDataError(["short.bin", "file size", "multiple of 3073", "got 6145"]) {
            try CIFAR10.parse(good + Array(good.dropLast()), source: "short.bin")
        }
        assertDataError(["empty.bin", "file size", "got 0"]) { try CIFAR10.parse([], source: "empty.bin") }
        assertDataError(["label.bin", "record 1 label", "0...9 expected, got 10"]) {
            try CIFAR10.parse(good + record(label: 10), source: "label.bin")
        }
    }

    func testLoadsFromNestedFolderAndNamesMissingFiles() throws {
        let dir = try makeTemporaryDirectory(self)
        let nested = DataFiles.join(dir, "cifar-10-batches-bin")
        try DataFiles.writeAtomically(record(label: 4) + record(label: 5), to: DataFiles.join(nested, "test_batch.bin"))
        let test = try CIFAR10.loadPixels(directory: dir, split: .test, recordsPerFile: nil).labeledImages
        XCTAssertEqual(test.labels, [4, 5])
        assertDataError(["data_batch_1.bin", "not found"]) { try CIFAR10.load(directory: dir, split: .train) }
        for k in 1...5 {
            try DataFiles.writeAtomically(record(label: UInt8(k)), to: DataFiles.join(dir, "data_batch_\(k).bin"))
        }
        // One record per file: the small-file path of the loader (the public one wants 10 000).
        let pixels = try CIFAR10.loadPixels(directory: dir, split: .train, recordsPerFile: nil)
        // The same files as bytes: record k's image, unconverted, in file order.
        XCTAssertEqual(pixels.imageShape, [3, 32, 32])
        XCTAssertEqual(pixels.labels, [1, 2, 3, 4, 5])
        XCTAssertEqual(Array(pixels.pixels[(2 * 3072)..<(3 * 3072)]), Array(record(label: 3).dropFirst()))
        XCTAssertEqual(pixels.images(0..<5).scalars, pixels.labeledImages.images.scalars)
        XCTAssertEqual(pixels.images(0..<5).shape, [5, 3, 32, 32])
    }

    /// The official batch files hold exactly 10 000 records; a file with fewer (a cut download)
    /// or more is refused by name, even when its size is a whole number of records.
    func testStandardLoadRequiresTenThousandRecordsPerFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = DataFiles.join(dir, "test_batch.bin")
        try DataFiles.writeAtomically(record(label: 4) + record(label: 5), to: path)
        assertDataError([path, "size", "30730000 bytes expected", "10000 records", "got 6146 = 2 records"]) {
            try CIFAR10.load(directory: dir, split: .test)
        }
        assertDataError([path, "size", "30730000 bytes expected"]) { try CIFAR10.loadPixels(directory: dir, split: .test) }
        // A full-size file loads.
        var full = [UInt8](repeating: 0, count: CIFAR10.recordsPerFile * CIFAR10.recordSize)
        for r in 0..<CIFAR10.recordsPerFile { full[r * CIFAR10.recordSize] = UInt8(r % 10) }
        try DataFiles.writeAtomically(full, to: path)
        let test = try CIFAR10.loadPixels(directory: dir, split: .test)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(Array(test.labels.prefix(12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    }
}
