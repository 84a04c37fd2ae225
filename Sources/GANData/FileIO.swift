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
    /// Throws a ``DataError`` naming `path` if it does not exist, is not a regular file, cannot
    /// be read, or is larger than `maximumSize` bytes.
    public static func read(_ path: String, maximumSize: Int = defaultMaximumFileSize) throws -> [UInt8] {
        // O_NONBLOCK so that opening a FIFO returns at once (a blocking open would wait for a
        // writer forever); the FIFO is then refused as not a regular file. Regular files ignore the flag.
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else {
            throw DataError(file: path, field: "open", "a readable file expected: \(errnoText())")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw DataError(file: path, field: "stat", "file status expected: \(errnoText())")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw DataError(file: path, field: "open", "a regular file expected, found \(fileKind(info.st_mode))")
        }
        let size = Int(info.st_size)
        guard size <= maximumSize else {
            throw DataError(file: path, field: "size", "at most \(maximumSize) bytes expected, the file has \(size)")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        try bytes.withUnsafeMutableBytes { buffer in
            // `done` counts the bytes read so far; read(2) may return fewer than asked.
            while done < size {
                let n = posixRead(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DataError(file: path, field: "read", "\(size) bytes expected: \(errnoText())")
                }
                if n == 0 {
                    throw DataError(file: path, field: "read", "\(size) bytes expected, the file ended after \(done)")
                }
                done += n
            }
        }
        return bytes
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

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    /// What a non-regular file is, for messages.
    private static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR, S_IFBLK: return "a device"
        default: return "a special file"
        }
    }
}

// The POSIX read function, named apart from Foundation's methods of the same name.
#if canImport(Glibc)
@inline(__always) private func posixRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int { Glibc.read(fd, p, n) }
#else
@inline(__always) private func posixRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int { Darwin.read(fd, p, n) }
#endif
