#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why ``RegularFile/read(_:maximumSize:)`` failed; each caller words it in its own error type.
public enum RegularFileError: Error, Equatable {
    /// open(2) failed with `errno` (`ENOENT`: no such file), described by `text`.
    case openFailed(errno: Int32, text: String)
    /// fstat(2) failed.
    case statFailed(text: String)
    /// Not a regular file: `kind` is "a directory", "a FIFO (named pipe)", "a socket", "a device"
    /// or "a special file".
    case notRegular(kind: String)
    /// Larger than the cap.
    case tooLarge(size: Int, maximum: Int)
    /// read(2) failed after `done` of `size` bytes.
    case readFailed(text: String, size: Int)
    /// The file ended after `done` of the `size` bytes fstat reported.
    case truncated(size: Int, done: Int)
}

/// Reading a whole file with its size checked against a cap *before* a buffer is allocated for
/// it, shared by the safetensors reader and the data-set readers.
public enum RegularFile {
    /// The bytes of the regular file at `path`, at most `maximumSize` of them. A directory, FIFO,
    /// socket or device is refused at once: the file is opened with `O_NONBLOCK`, so a FIFO is
    /// never waited on for a writer (regular files ignore the flag).
    public static func read(_ path: String, maximumSize: Int) throws(RegularFileError) -> [UInt8] {
        func errnoText() -> String { String(cString: strerror(errno)) }
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { throw .openFailed(errno: errno, text: errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .statFailed(text: errnoText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notRegular(kind: kind(info.st_mode)) }
        let size = Int(info.st_size)
        guard size <= maximumSize else { throw .tooLarge(size: size, maximum: maximumSize) }
        var bytes = [UInt8](repeating: 0, count: size)
        var failure: RegularFileError?
        bytes.withUnsafeMutableBytes { buffer in
            // `done` counts the bytes read so far; read(2) may return fewer than asked.
            var done = 0
            while done < size {
                let n = posixRead(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .readFailed(text: errnoText(), size: size)
                    return
                }
                if n == 0 {
                    failure = .truncated(size: size, done: done)
                    return
                }
                done += n
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// What a non-regular file is, for messages.
    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR, S_IFBLK: return "a device"
        default: return "a special file"
        }
    }
}

// The POSIX read function, named apart from `RegularFile.read`.
#if canImport(Glibc)
@inline(__always) private func posixRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int { Glibc.read(fd, p, n) }
#else
@inline(__always) private func posixRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int { Darwin.read(fd, p, n) }
#endif
