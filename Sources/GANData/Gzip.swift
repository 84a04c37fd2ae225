import GANTensor
import CZlib

/// gzip (RFC 1952) and zlib (RFC 1950) compression through the system zlib.
///
/// ```swift
/// let packed = Gzip.compress(bytes)
/// let unpacked = try Gzip.decompress(packed, source: "bytes.gz")   // == bytes
/// ```
public enum Gzip {
    /// Default cap on decompressed output: 1 GiB.
    public static let defaultMaximumSize = 1 << 30

    /// Decompresses a gzip stream (one or more concatenated members, as `cat a.gz b.gz` makes).
    ///
    /// - Parameters:
    ///   - data: the gzip bytes.
    ///   - source: the file name used in error messages.
    ///   - maximumSize: decompression stops with an error as soon as the output would exceed this
    ///     many bytes, so a hostile "zip bomb" cannot exhaust memory.
    /// - Throws: ``DataError`` for an empty, truncated or corrupt stream (bad header, bad CRC or
    ///   length trailer), non-gzip bytes after the last member, or output over `maximumSize`.
    public static func decompress(_ data: [UInt8], source: String, maximumSize: Int = defaultMaximumSize) throws -> [UInt8] {
        guard data.count >= 2, data[0] == 0x1F, data[1] == 0x8B else {
            let found = data.prefix(2).map { String($0, radix: 16) }.joined(separator: " ")
            throw DataError(file: source, field: "gzip header", "magic bytes 1f 8b expected, got \(found.isEmpty ? "an empty file" : found)")
        }
        return try inflateStream(
            data, windowBits: 16 + MAX_WBITS, format: "gzip", source: source,
            maximumSize: maximumSize, capacityHint: capacityHint(gzip: data), multiMember: true)
    }

    /// Deflate's largest expansion: about 1032 output bytes per input byte (258-byte matches
    /// coded in 2 bits each); the trailer's size claim is believed only up to this ratio.
    static let maximumExpansion = 1032

    /// The first allocation for decompressing `data`: the last member's ISIZE trailer (its size
    /// mod 2³², a hint that a hostile file can set to anything), but at least 64 KiB and at most
    /// what deflate could produce from `data`, so a small file claiming 4 GiB reserves little.
    /// The output still grows past this as it arrives, up to the caller's maximum.
    static func capacityHint(gzip data: [UInt8]) -> Int {
        let floor = 1 << 16
        guard data.count >= 18 else { return floor }
        let n = data.count
        let isize = Int(UInt32(data[n - 4]) | UInt32(data[n - 3]) << 8 | UInt32(data[n - 2]) << 16 | UInt32(data[n - 1]) << 24)
        return max(floor, min(isize, n * maximumExpansion))
    }

    /// Compresses `data` into a single-member gzip stream (default level 6, no file name, mtime 0).
    public static func compress(_ data: [UInt8]) -> [UInt8] {
        deflateStream(data, windowBits: 16 + MAX_WBITS, level: Z_DEFAULT_COMPRESSION)
    }

    /// Compresses `data` into a zlib stream (RFC 1950: two-byte header, deflate data, Adler-32),
    /// the format of a PNG's concatenated IDAT data.
    public static func zlibDeflate(_ data: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) -> [UInt8] {
        deflateStream(data, windowBits: MAX_WBITS, level: level)
    }

    /// Decompresses a single zlib stream (RFC 1950), failing if the output would exceed
    /// `maximumSize` bytes or if anything follows the end of the stream.
    public static func zlibInflate(_ data: [UInt8], source: String, maximumSize: Int = defaultMaximumSize) throws -> [UInt8] {
        try inflateStream(
            data, windowBits: MAX_WBITS, format: "zlib", source: source,
            maximumSize: maximumSize, capacityHint: min(maximumSize, max(1 << 16, data.count * 4)), multiMember: false)
    }

    /// The CRC-32 (ISO 3309 / ITU-T V.42, as in gzip and PNG) of `data`, continuing from `initial`.
    public static func crc32(_ data: [UInt8], initial: UInt32 = 0) -> UInt32 {
        data.withUnsafeBytes { crc32(UnsafeRawBufferPointer($0), initial: initial) }
    }

    /// The CRC-32 of raw bytes, continuing from `initial`.
    public static func crc32(_ data: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        var crc = uLong(initial)
        guard let base = data.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return initial }
        var offset = 0
        // zlib takes a 32-bit length; feed larger buffers in pieces.
        while offset < data.count {
            let n = min(data.count - offset, 1 << 30)
            crc = CZlib.crc32(crc, base + offset, uInt(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    // MARK: - Streaming core

    /// Inflates `data` with the given zlib `windowBits` (15: zlib, 16+15: gzip) into a buffer
    /// that grows as output arrives, never past `maximumSize`.
    static func inflateStream(
        _ data: [UInt8], windowBits: Int32, format: String, source: String,
        maximumSize: Int, capacityHint: Int, multiMember: Bool
    ) throws -> [UInt8] {
        guard !data.isEmpty else {
            throw DataError(file: source, field: "\(format) stream", "compressed data expected, got 0 bytes")
        }
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else {
            throw DataError(file: source, field: "\(format) stream", "zlib inflateInit2 expected to succeed, returned \(initStatus)")
        }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        output.reserveCapacity(max(0, min(maximumSize, capacityHint)))
        let chunkSize = 1 << 18
        var chunk = [UInt8](repeating: 0, count: chunkSize)

        try data.withUnsafeBufferPointer { input in
            let base = UnsafeMutablePointer(mutating: input.baseAddress!)
            let total = input.count
            stream.next_in = base
            stream.avail_in = 0
            var members = 1
            while true {
                // Bytes of `data` consumed so far by zlib.
                var position = base.distance(to: stream.next_in)
                if stream.avail_in == 0 && position < total {
                    // zlib counts input in 32 bits: refill in pieces of at most 1 GiB.
                    stream.avail_in = uInt(min(total - position, 1 << 30))
                }
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunkSize)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunkSize - Int(stream.avail_out)
                if produced > maximumSize - output.count {
                    throw DataError(
                        file: source, field: "\(format) stream",
                        "at most \(maximumSize) decompressed bytes expected, the data holds more")
                }
                output.append(contentsOf: chunk[0..<produced])
                position = base.distance(to: stream.next_in)

                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    let rest = input[position...]
                    if rest.isEmpty { return }
                    if multiMember && rest.count >= 2 && rest[position] == 0x1F && rest[position + 1] == 0x8B {
                        // Another gzip member follows: start it with a fresh inflate state.
                        members += 1
                        _ = inflateReset(&stream)
                        continue
                    }
                    if multiMember && rest.allSatisfy({ $0 == 0 }) { return }  // zero padding, as gzip(1) tolerates
                    throw DataError(
                        file: source, field: "\(format) stream",
                        "end of data expected after member \(members), found \(rest.count) more bytes at offset \(position)")
                case Z_BUF_ERROR where position >= total:
                    throw DataError(
                        file: source, field: "\(format) stream",
                        "more data expected: truncated after \(total) bytes (\(output.count) bytes decompressed) before the end of member \(members)")
                case Z_DATA_ERROR:
                    let reason = stream.msg.map { String(cString: $0) } ?? "invalid data"
                    throw DataError(
                        file: source, field: "\(format) stream",
                        "valid compressed data expected, zlib reports \"\(reason)\" in member \(members) near offset \(position)")
                case Z_NEED_DICT:
                    throw DataError(file: source, field: "\(format) stream", "a stream without a preset dictionary expected")
                case Z_MEM_ERROR:
                    throw DataError(file: source, field: "\(format) stream", "zlib ran out of memory")
                default:
                    throw DataError(file: source, field: "\(format) stream", "zlib inflate expected to progress, returned \(status)")
                }
            }
        }
        return output
    }

    /// Deflates all of `data` into one stream with the given `windowBits` (15: zlib, 16+15: gzip).
    static func deflateStream(_ data: [UInt8], windowBits: Int32, level: Int32) -> [UInt8] {
        var stream = z_stream()
        let initStatus = deflateInit2_(
            &stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
            zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        require(initStatus == Z_OK, "Gzip: deflateInit2 failed with status \(initStatus)")
        defer { deflateEnd(&stream) }

        var output: [UInt8] = []
        output.reserveCapacity(Int(deflateBound(&stream, uLong(data.count))))
        let chunkSize = 1 << 18
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        data.withUnsafeBufferPointer { input in
            // An empty array may have no base address; zlib accepts any pointer with length 0.
            var empty: UInt8 = 0
            let base = input.baseAddress.map { UnsafeMutablePointer(mutating: $0) }
            withUnsafeMutablePointer(to: &empty) { emptyPointer in
                let start = base ?? emptyPointer
                stream.next_in = start
                stream.avail_in = 0
                while true {
                    let position = start.distance(to: stream.next_in)
                    if stream.avail_in == 0 && position < input.count {
                        stream.avail_in = uInt(min(input.count - position, 1 << 30))
                    }
                    let isLastPiece = position + Int(stream.avail_in) >= input.count
                    let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(chunkSize)
                        return deflate(&stream, isLastPiece ? Z_FINISH : Z_NO_FLUSH)
                    }
                    output.append(contentsOf: chunk[0..<(chunkSize - Int(stream.avail_out))])
                    if status == Z_STREAM_END { return }
                    require(status == Z_OK || status == Z_BUF_ERROR, "Gzip: deflate failed with status \(status)")
                }
            }
        }
        return output
    }
}
