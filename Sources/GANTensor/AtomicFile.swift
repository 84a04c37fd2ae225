#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// A failed atomic write: the path and what went wrong.
public struct AtomicFileError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// Crash-safe file replacement, used for every file SwiftGAN writes that must never be torn
/// (checkpoints, configs, metrics): the bytes go to a temporary file `.<name>.tmp-<pid>-<random>`
/// in the same directory, which is fsynced and renamed over `path`; the directory is fsynced
/// afterwards. Readers see either the old file or the complete new one; a kill leaves at most a
/// stray temporary file.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        func fail(_ problem: String) -> AtomicFileError { AtomicFileError(path: path, problem: problem) }
        func errnoText() -> String { String(cString: strerror(errno)) }

        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw fail("expected a file path, got '\(path)'")
        }
        let directory: String
        let baseName: String
        if let slash = path.lastIndex(of: "/") {
            let d = String(path[..<slash])
            directory = d.isEmpty ? "/" : d
            baseName = String(path[path.index(after: slash)...])
        } else {
            directory = "."
            baseName = path
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw fail("directory '\(directory)' does not exist; expected an existing directory")
        }

        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let tempPath = (directory == "/" ? "" : directory) + "/.\(baseName).tmp-\(getpid())-\(suffix)"
        let fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw fail("cannot create temporary file '\(tempPath)': \(errnoText())")
        }
        var closed = false
        var renamed = false
        defer {
            if !closed { _ = close(fd) }
            if !renamed { _ = unlink(tempPath) }
        }

        var written = 0
        try bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let r = systemWrite(fd, raw.baseAddress! + written, raw.count - written)
                if r < 0 {
                    if errno == EINTR { continue }
                    throw fail("cannot write temporary file '\(tempPath)': \(errnoText())")
                }
                written += r
            }
        }
        guard fsync(fd) == 0 else {
            throw fail("cannot fsync temporary file '\(tempPath)': \(errnoText())")
        }
        closed = true
        guard close(fd) == 0 else {
            throw fail("cannot close temporary file '\(tempPath)': \(errnoText())")
        }
        guard rename(tempPath, path) == 0 else {
            throw fail("cannot rename '\(tempPath)' to '\(path)': \(errnoText())")
        }
        renamed = true

        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else {
            throw fail("cannot open directory '\(directory)' to fsync it: \(errnoText())")
        }
        defer { _ = close(dirFD) }
        if fsync(dirFD) != 0 && errno != EINVAL && errno != ENOTSUP {
            throw fail("cannot fsync directory '\(directory)': \(errnoText())")
        }
    }

    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, buffer, count)
        #else
        return Darwin.write(fd, buffer, count)
        #endif
    }
}
