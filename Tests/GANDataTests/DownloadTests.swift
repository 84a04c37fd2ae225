import Foundation
import XCTest
@testable import GANData

final class DownloadTests: XCTestCase {
    let content = Array("tiny data set file\n".utf8)

    /// A one-file data set whose checksum is that of `content`.
    var tinyDataset: DownloadableDataset {
        DownloadableDataset(
            name: "tiny", folderName: "tiny",
            files: [DatasetFile(name: "tiny.bin.gz", uncompressedMD5: MD5.hex(content))],
            mirrors: ["https://mirror-a.invalid/data/", "https://mirror-b.invalid/data"])
    }

    func testVerifiedFilesPresentMeanNoDownload() throws {
        let cache = try makeTemporaryDirectory(self)
        try DataFiles.writeAtomically(Gzip.compress(content), to: DataFiles.join(cache, "tiny/tiny.bin.gz"))
        let downloader = DatasetDownloader(cacheDirectory: cache) { url in
            XCTFail("no download expected, fetched \(url)")
            return []
        }
        XCTAssertEqual(try downloader.prepare(tinyDataset), DataFiles.join(cache, "tiny"))
    }

    /// A folder the user points at that holds the files itself (gzipped or not) is used as it is,
    /// verified, not searched for a subfolder; a corrupt file there is still an error naming it.
    func testFilesInTheGivenFolderItselfAreUsedAndVerified() throws {
        for (name, bytes) in [("tiny.bin.gz", Gzip.compress(content)), ("tiny.bin", content)] {
            let folder = try makeTemporaryDirectory(self)
            try DataFiles.writeAtomically(bytes, to: DataFiles.join(folder, name))
            let downloader = DatasetDownloader(cacheDirectory: folder) { url in
                XCTFail("no download expected, fetched \(url)")
                return []
            }
            XCTAssertEqual(try downloader.prepare(tinyDataset), folder)
            try DataFiles.writeAtomically(Array("not it".utf8), to: DataFiles.join(folder, "tiny.bin"))
            try? FileManager.default.removeItem(atPath: DataFiles.join(folder, "tiny.bin.gz"))
            assertDataError([DataFiles.join(folder, "tiny.bin"), "checksum"]) { try downloader.prepare(tinyDataset) }
        }
    }

    func testUncompressedCopyIsAccepted() throws {
        let cache = try makeTemporaryDirectory(self)
        try DataFiles.writeAtomically(content, to: DataFiles.join(cache, "tiny/tiny.bin"))
        let downloader = DatasetDownloader(cacheDirectory: cache) { url in
            XCTFail("no download expected, fetched \(url)")
            return []
        }
        XCTAssertNoThrow(try downloader.prepare(tinyDataset))
    }

    func testCorruptFilePresentIsAChecksumError() throws {
        let cache = try makeTemporaryDirectory(self)
        let path = DataFiles.join(cache, "tiny/tiny.bin.gz")
        try DataFiles.writeAtomically(Gzip.compress(Array("something else".utf8)), to: path)
        let downloader = DatasetDownloader(cacheDirectory: cache) { url in
            XCTFail("no download expected, fetched \(url)")
            return []
        }
        assertDataError([path, "checksum", "md5 \(MD5.hex(content))", "delete it"]) { try downloader.prepare(tinyDataset) }
        // Not gzip at all is also reported against the file.
        try DataFiles.writeAtomically([1, 2, 3], to: path)
        assertDataError([path, "gzip header"]) { try downloader.prepare(tinyDataset) }
    }

    func testMissingFileIsFetchedFromTheFirstGoodMirror() throws {
        let cache = try makeTemporaryDirectory(self)
        var requested: [String] = []
        let downloader = DatasetDownloader(cacheDirectory: cache) { url in
            requested.append(url.absoluteString)
            // The first mirror serves a wrong file; the second the right one.
            return url.host == "mirror-a.invalid" ? Gzip.compress(Array("wrong".utf8)) : Gzip.compress(self.content)
        }
        let folder = try downloader.prepare(tinyDataset)
        XCTAssertEqual(requested, ["https://mirror-a.invalid/data/tiny.bin.gz", "https://mirror-b.invalid/data/tiny.bin.gz"])
        XCTAssertEqual(try Gzip.decompress(DataFiles.read(DataFiles.join(folder, "tiny.bin.gz")), source: "t"), content)
        // No temporary file is left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["tiny.bin.gz"])
    }

    func testAllMirrorsFailingIsReported() throws {
        let cache = try makeTemporaryDirectory(self)
        let downloader = DatasetDownloader(cacheDirectory: cache) { url in
            throw DataError(file: url.absoluteString, field: "download", "HTTP status 200 expected, got 404")
        }
        assertDataError(["tiny.bin.gz", "all failed", "mirror-a.invalid", "mirror-b.invalid", "404"]) { try downloader.prepare(tinyDataset) }
        XCTAssertFalse(DataFiles.isFile(DataFiles.join(cache, "tiny/tiny.bin.gz")))
    }

    /// Fashion-MNIST publishes only the md5 of each .gz file: an uncompressed copy has nothing to
    /// be checked against, so it is refused rather than accepted unchecked.
    func testUncompressedCopyOfAGzipOnlyFileIsRefused() throws {
        let packed = Gzip.compress(content)
        let dataset = DownloadableDataset(
            name: "tiny", folderName: "tiny", files: [DatasetFile(name: "tiny.bin.gz", gzipMD5: MD5.hex(packed))],
            mirrors: ["https://mirror-a.invalid/data/"])
        let cache = try makeTemporaryDirectory(self)
        let raw = DataFiles.join(cache, "tiny/tiny.bin")
        try DataFiles.writeAtomically(content, to: raw)
        let downloader = DatasetDownloader(cacheDirectory: cache) { url in
            XCTFail("no download expected, fetched \(url)")
            return []
        }
        assertDataError([raw, "checksum", "only the md5 of the .gz file tiny.bin.gz is published", "cannot be verified"]) {
            try downloader.prepare(dataset)
        }
        // The .gz file itself is verified and preferred.
        try DataFiles.writeAtomically(packed, to: DataFiles.join(cache, "tiny/tiny.bin.gz"))
        XCTAssertNoThrow(try downloader.prepare(dataset))
        // The same rule in DatasetFile.verify, for content that did not come from a .gz file.
        let file = dataset.files[0]
        assertDataError(["x.bin", "checksum", "only the md5 of the .gz file"]) {
            try file.verify(uncompressed: content, gzipped: nil, source: "x.bin")
        }
        XCTAssertNoThrow(try file.verify(uncompressed: content, gzipped: packed, source: "x.bin.gz"))
        // A file described without any checksum is still accepted unchecked.
        XCTAssertNoThrow(try DatasetFile(name: "n.gz").verify(uncompressed: content, gzipped: nil, source: "n"))
    }

    /// The shared MNIST copy passes the downloader's checks offline.
    func testRealMNISTIsRecognisedOffline() throws {
        let shared = DataFiles.join(packageRoot, "../shared/data")
        guard DataFiles.isFile(DataFiles.join(shared, "mnist/train-images-idx3-ubyte.gz")) else {
            throw XCTSkip("MNIST not found under \(shared)")
        }
        let downloader = DatasetDownloader(cacheDirectory: shared) { url in
            XCTFail("no download expected, fetched \(url)")
            return []
        }
        XCTAssertEqual(try downloader.prepare(MNISTVariant.mnist.dataset), DataFiles.join(shared, "mnist"))
        // …and pointed at the MNIST folder itself (`gan data download mnist --data-dir …/mnist`).
        let inside = DatasetDownloader(cacheDirectory: DataFiles.join(shared, "mnist")) { url in
            XCTFail("no download expected, fetched \(url)")
            return []
        }
        XCTAssertEqual(try inside.prepare(MNISTVariant.mnist.dataset), DataFiles.join(shared, "mnist"))
    }

    func testDefaultDataDirectory() {
        let saved = ProcessInfo.processInfo.environment["GAN_DATA_DIR"]
        defer {
            if let saved { setenv("GAN_DATA_DIR", saved, 1) } else { unsetenv("GAN_DATA_DIR") }
        }
        setenv("GAN_DATA_DIR", "/somewhere/data", 1)
        XCTAssertEqual(DatasetDownloader.defaultDataDirectory(), "/somewhere/data")
        unsetenv("GAN_DATA_DIR")
        XCTAssertTrue(DatasetDownloader.defaultDataDirectory().hasSuffix("/.cache/swiftgan/data"))
    }
}
