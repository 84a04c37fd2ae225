#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GANTensor

/// Small file helpers shared by the readers and writers of this module.
///
/// They use POSIX calls so that a file's size is checked against a cap *before* a buffer is
/// allocated for it, and so that writes are atomic (written to a temporary file beside the
/// target, then renamed over it).
public enum DataFiles {
    /// Default cap on the size of a file read whole: 4 GiB.
    public static let defaultMaximumFileSize = 1 << 32

    /// The contents of the regular file at `path`.
    ///
    /// Throws a ``DataError`` naming `path` if it does not exist, is not a regular file (a FIFO is
    /// refused at once, see ``RegularFile/read(_:maximumSize:)``), cannot be read, or is larger
    /// than `maximumSize` bytes.
    public static func read(_ path: String, maximumSize: Int = defaultMaximumFileSize) throws -> [UInt8] {
        do { return try RegularFile.read(path, maximumSize: maximumSize) } catch {
            switch error {
            case .openFailed(_, let text): throw DataError(file: path, field: "open", "a readable file expected: \(text)")
            case .statFailed(let text): throw DataError(file: path, field: "stat", "file status expected: \(text)")
            case .notRegular(let kind): throw DataError(file: path, field: "open", "a regular file expected, found \(kind)")
            case .tooLarge(let size, let maximum): throw DataError(file: path, field: "size", "at most \(maximum) bytes expected, the file has \(size)")
            case .readFailed(let text, let size): throw DataError(file: path, field: "read", "\(size) bytes expected: \(text)")
            case .truncated(let size, let done): throw DataError(file: path, field: "read", "\(size) bytes expected, the file ended after \(done)")
            }
        }
    }

    /// Writes `bytes` to `path` atomically: to a temporary file in the same folder first, then
    /// renamed over `path`, so a reader never sees a half-written file. Creates missing folders.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw DataError(file: path, field: "folder", "a writable folder \(folder) expected: \(error)")
            }
        }
        do { try AtomicFile.write(bytes, to: path) } catch let e as AtomicFileError {
            throw DataError(file: path, field: "write", e.problem)
        }
    }

    /// True when a regular file (or a link to one) exists at `path`.
    public static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// True when a folder exists at `path`.
    public static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// `folder` joined with `name` by a single `/`.
    public static func join(_ folder: String, _ name: String) -> String {
        (folder as NSString).appendingPathComponent(name)
    }
}
