#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One file of a downloadable data set, with the checksums that identify its good content.
public struct DatasetFile: Equatable, Sendable {
    /// The file name as published, e.g. `train-images-idx3-ubyte.gz`.
    public let name: String
    /// md5 (32 lowercase hex digits) of the decompressed content, when known.
    public let uncompressedMD5: String?
    /// md5 of the published `.gz` file itself, when known.
    public let gzipMD5: String?

    /// Describes a file; give at least one checksum to have it verified.
    public init(name: String, uncompressedMD5: String? = nil, gzipMD5: String? = nil) {
        self.name = name
        self.uncompressedMD5 = uncompressedMD5?.lowercased()
        self.gzipMD5 = gzipMD5?.lowercased()
    }

    /// Checks content against the known checksums.
    ///
    /// Accepts the file when the `.gz` bytes match `gzipMD5`, or else when the decompressed
    /// content matches `uncompressedMD5`. A file described with no checksum at all is accepted
    /// unchecked; content that did not come from a `.gz` file, for a file with only `gzipMD5`
    /// (Fashion-MNIST), cannot be verified and is an error.
    ///
    /// - Parameters:
    ///   - uncompressed: the decompressed content.
    ///   - gzipped: the gzip file's bytes, when the content came from one.
    /// - Throws: ``DataError`` (field `checksum`) naming `source` with expected and actual md5, or
    ///   saying that only the `.gz` file's md5 is published.
    public func verify(uncompressed: [UInt8], gzipped: [UInt8]?, source: String) throws {
        if let gzipMD5, let gzipped, MD5.hex(gzipped) == gzipMD5 { return }
        if let uncompressedMD5 {
            try MD5.verify(uncompressed, expectedHex: uncompressedMD5, source: source, what: "uncompressed content")
        } else if let gzipMD5 {
            guard let gzipped else { throw unverifiableWithoutGzip(source: source) }
            try MD5.verify(gzipped, expectedHex: gzipMD5, source: source, what: "gzip file")
        }
    }

    /// The error for an uncompressed copy of a file whose only published checksum is `gzipMD5`.
    func unverifiableWithoutGzip(source: String) -> DataError {
        DataError(
            file: source, field: "checksum",
            "only the md5 of the .gz file \(name) is published, so an uncompressed copy cannot be verified; the .gz file expected in its place (remove \(source) and put \(name) there, or download it again)")
    }
}

/// A data set that can be fetched file by file from mirrors into a sub-folder of a cache.
public struct DownloadableDataset: Equatable, Sendable {
    /// A short name for messages, e.g. `mnist`.
    public let name: String
    /// The sub-folder of the cache directory that holds the files.
    public let folderName: String
    /// The files, each fetched as `mirror + file.name`.
    public let files: [DatasetFile]
    /// Base URLs ending in `/`, tried in order.
    public let mirrors: [String]

    /// Describes a data set: its files are fetched into `folderName` from the first mirror that serves them.
    public init(name: String, folderName: String, files: [DatasetFile], mirrors: [String]) {
        self.name = name
        self.folderName = folderName
        self.files = files
        self.mirrors = mirrors
    }
}

/// Fetches data sets into a local cache and checks them, working offline once they are there.
///
/// `prepare` returns at once, without touching the network, when every file is present and
/// matches its checksum. A missing file is fetched from each mirror in turn, verified (md5 of the
/// decompressed content, or of the `.gz` file where only that is published) and only then
/// written, atomically. A file that is present but wrong is an error, never silently replaced.
///
/// ```swift
/// let folder = try DatasetDownloader().prepare(MNISTVariant.mnist.dataset)
/// let train = try MNIST.load(directory: folder, split: .train)
/// ```
public struct DatasetDownloader {
    /// Fetches the bytes at a URL, throwing on any failure.
    public typealias Fetcher = (URL) throws -> [UInt8]

    /// The cache folder; each data set gets its own sub-folder.
    public var cacheDirectory: String
    /// How bytes are fetched; ``httpFetch(_:)`` by default (replaceable, e.g. in tests).
    public var fetch: Fetcher
    /// Cap on one downloaded or decompressed file.
    public var maximumFileSize: Int = 1 << 30

    /// A downloader for `cacheDirectory` (default: ``defaultDataDirectory()``).
    public init(cacheDirectory: String = DatasetDownloader.defaultDataDirectory(), fetch: @escaping Fetcher = DatasetDownloader.httpFetch) {
        self.cacheDirectory = cacheDirectory
        self.fetch = fetch
    }

    /// The data folder: `$GAN_DATA_DIR` when set and non-empty, else `~/.cache/swiftgan/data`.
    public static func defaultDataDirectory() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let dir = environment["GAN_DATA_DIR"], !dir.isEmpty { return dir }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.path
        return DataFiles.join(home, ".cache/swiftgan/data")
    }

    /// Makes sure every file of `dataset` is present and verified, downloading what is missing.
    ///
    /// The files are looked for in `cacheDirectory` itself when its first file (gzipped or not)
    /// is there (a folder the user points at), else in `cacheDirectory/dataset.folderName`.
    ///
    /// - Returns: the folder holding the files.
    /// - Throws: ``DataError``: a present file with a wrong checksum (delete it to fetch it again),
    ///   or a missing file that no mirror could supply (each mirror's failure is listed).
    @discardableResult
    public func prepare(_ dataset: DownloadableDataset) throws -> String {
        let first = dataset.files[0].name
        let holdsFiles = [first, first.hasSuffix(".gz") ? String(first.dropLast(3)) : first]
            .contains { DataFiles.isFile(DataFiles.join(cacheDirectory, $0)) }
        let folder = holdsFiles ? cacheDirectory : DataFiles.join(cacheDirectory, dataset.folderName)
        for file in dataset.files {
            let path = DataFiles.join(folder, file.name)
            let rawPath = file.name.hasSuffix(".gz") ? String(path.dropLast(3)) : path
            if DataFiles.isFile(path) {
                try verifyPresent(file, path: path, isGzip: file.name.hasSuffix(".gz"))
            } else if rawPath != path && DataFiles.isFile(rawPath) {
                try verifyPresent(file, path: rawPath, isGzip: false)
            } else {
                try download(file, of: dataset, to: path)
            }
        }
        return folder
    }

    /// Checks a file already in the cache.
    private func verifyPresent(_ file: DatasetFile, path: String, isGzip: Bool) throws {
        guard file.uncompressedMD5 != nil || file.gzipMD5 != nil else { return }
        if !isGzip && file.uncompressedMD5 == nil {
            // Only the .gz file's md5 is known: nothing to compare this file with (and nothing
            // damaged, so not the advice to delete it below).
            throw file.unverifiableWithoutGzip(source: path)
        }
        let bytes = try DataFiles.read(path, maximumSize: maximumFileSize)
        do {
            if isGzip {
                if let gzipMD5 = file.gzipMD5, MD5.hex(bytes) == gzipMD5 { return }
                guard file.uncompressedMD5 != nil else {
                    return try file.verify(uncompressed: [], gzipped: bytes, source: path)
                }
                let content = try Gzip.decompress(bytes, source: path, maximumSize: maximumFileSize)
                try file.verify(uncompressed: content, gzipped: bytes, source: path)
            } else if let expected = file.uncompressedMD5 {
                try MD5.verify(bytes, expectedHex: expected, source: path, what: "uncompressed content")
            }
        } catch let error as DataError {
            throw DataError(file: error.file, field: error.field, error.detail + " (the cached file is damaged or not the expected one: delete it to download it again)")
        }
    }

    /// Fetches `file` from each mirror in turn until one supplies verified bytes, then writes them.
    private func download(_ file: DatasetFile, of dataset: DownloadableDataset, to path: String) throws {
        var failures: [String] = []
        for mirror in dataset.mirrors {
            let address = mirror.hasSuffix("/") ? mirror + file.name : mirror + "/" + file.name
            guard let url = URL(string: address) else {
                failures.append("\(address): not a valid URL")
                continue
            }
            do {
                let bytes = try fetch(url)
                guard bytes.count <= maximumFileSize else {
                    throw DataError(file: address, field: "size", "at most \(maximumFileSize) bytes expected, got \(bytes.count)")
                }
                if file.name.hasSuffix(".gz") {
                    let needsContent = !(file.gzipMD5.map { MD5.hex(bytes) == $0 } ?? false)
                    let content = needsContent ? try Gzip.decompress(bytes, source: address, maximumSize: maximumFileSize) : []
                    try file.verify(uncompressed: content, gzipped: bytes, source: address)
                } else if let expected = file.uncompressedMD5 {
                    try MD5.verify(bytes, expectedHex: expected, source: address, what: "content")
                }
                try DataFiles.writeAtomically(bytes, to: path)
                return
            } catch {
                failures.append("\(error)")
            }
        }
        throw DataError(
            file: path, field: "download",
            "\(file.name) of \(dataset.name) expected from one of \(dataset.mirrors.count) mirrors; all failed: "
                + failures.joined(separator: "; "))
    }

    /// Downloads `url` with `URLSession` (60 s timeout), requiring HTTP status 200.
    public static func httpFetch(_ url: URL) throws -> [UInt8] {
        final class Outcome: @unchecked Sendable {
            var data: Data?
            var status = 0
            var error: Error?
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        request.timeoutInterval = 60
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            outcome.data = data
            outcome.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            outcome.error = error
            done.signal()
        }
        task.resume()
        done.wait()
        if let error = outcome.error {
            throw DataError(file: url.absoluteString, field: "download", "a response expected: \(error.localizedDescription)")
        }
        guard outcome.status == 200, let data = outcome.data else {
            throw DataError(file: url.absoluteString, field: "download", "HTTP status 200 expected, got \(outcome.status)")
        }
        return [UInt8](data)
    }
}
