import GANTensor

/// Reading and writing PNG files (8-bit, non-interlaced).
///
/// Pixels are interleaved bytes, row-major from the top-left: `[y][x][channel]`, with 1 channel
/// (grey) or 3 (red, green, blue).
///
/// The encoder writes the signature, an `IHDR` chunk, the image as filter-0 (None) rows
/// compressed with zlib in `IDAT` chunks of at most 1 MiB, and `IEND`, each chunk with its CRC-32.
///
/// The decoder reads 8-bit grey, grey+alpha, RGB, RGBA and palette images with any of the five
/// row filters; alpha is dropped (grey+alpha → 1 channel, RGBA and palette → 3 channels). It
/// rejects, with a ``DataError`` naming the source and the chunk: a bad signature, a bad CRC, a
/// truncated chunk, a missing `IEND`, 16-bit or sub-byte depths, Adam7 interlacing, unknown
/// critical chunks, and images over ``maximumPixels`` pixels (before allocating for them).
///
/// ```swift
/// let file = PNG.encode(pixels: rgb, width: 7, height: 5, channels: 3)
/// let image = try PNG.decode(file, source: "grid.png")   // image.pixels == rgb
/// ```
public enum PNG {
    /// The eight bytes every PNG file starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The largest width × height the decoder accepts: 2^28 pixels.
    public static let maximumPixels = 1 << 28

    /// Encodes `pixels` ([height][width][channels] bytes, `channels` 1 or 3) as a PNG file.
    public static func encode(pixels: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
        require(channels == 1 || channels == 3, "PNG.encode: 1 or 3 channels expected, got \(channels)")
        require(width > 0 && height > 0 && width <= Int(Int32.max) && height <= Int(Int32.max),
                     "PNG.encode: positive width and height expected, got \(width)×\(height)")
        let rowBytes = width * channels
        require(pixels.count == rowBytes * height,
                     "PNG.encode: \(width)×\(height)×\(channels) = \(rowBytes * height) bytes expected, got \(pixels.count)")
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (rowBytes + 1))
        // Row y: filter byte 0 (None), then the row's bytes unchanged.
        for y in 0..<height {
            raw.append(0)
            raw.append(contentsOf: pixels[(y * rowBytes)..<((y + 1) * rowBytes)])
        }
        var header: [UInt8] = []
        appendBigEndianUInt32(UInt32(width), to: &header)
        appendBigEndianUInt32(UInt32(height), to: &header)
        // Bit depth 8; colour type 0 (grey) or 2 (RGB); compression 0; filter method 0; no interlace.
        header += [8, channels == 1 ? 0 : 2, 0, 0, 0]

        var file = signature
        file += chunk(type: "IHDR", data: header)
        let compressed = Gzip.zlibDeflate(raw)
        let piece = 1 << 20
        var start = 0
        repeat {
            let end = min(start + piece, compressed.count)
            file += chunk(type: "IDAT", data: Array(compressed[start..<end]))
            start = end
        } while start < compressed.count
        file += chunk(type: "IEND", data: [])
        return file
    }

    /// Encodes `pixels` and writes the PNG file to `path` atomically.
    public static func write(pixels: [UInt8], width: Int, height: Int, channels: Int, to path: String) throws {
        try DataFiles.writeAtomically(encode(pixels: pixels, width: width, height: height, channels: channels), to: path)
    }

    /// One chunk: 4-byte big-endian data length, the 4-letter type, the data, and the CRC-32 of
    /// type and data.
    public static func chunk(type: String, data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        require(typeBytes.count == 4, "PNG.chunk: a 4-letter type expected, got \(type)")
        var out: [UInt8] = []
        out.reserveCapacity(12 + data.count)
        appendBigEndianUInt32(UInt32(data.count), to: &out)
        out += typeBytes
        out += data
        appendBigEndianUInt32(Gzip.crc32(data, initial: Gzip.crc32(typeBytes)), to: &out)
        return out
    }

    /// Reads and decodes the PNG file at `path`.
    public static func read(_ path: String) throws -> (pixels: [UInt8], width: Int, height: Int, channels: Int) {
        try decode(DataFiles.read(path), source: path)
    }

    /// The fields of an IHDR chunk.
    private struct Header {
        var width: Int, height: Int, colorType: UInt8
        /// Bytes per pixel in the filtered data (the `bpp` of the filters).
        var bytesPerPixel: Int {
            switch colorType {
            case 0, 3: return 1
            case 4: return 2
            case 2: return 3
            default: return 4
            }
        }
    }

    /// Decodes a PNG file.
    ///
    /// - Returns: `pixels` as [height][width][channels] bytes; `channels` is 1 for grey and
    ///   grey+alpha sources, 3 for RGB, RGBA and palette sources.
    /// - Throws: ``DataError`` naming `source` and the offending chunk or field.
    public static func decode(_ bytes: [UInt8], source: String) throws -> (pixels: [UInt8], width: Int, height: Int, channels: Int) {
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else {
            let found = bytes.prefix(8).map { String(format2: $0) }.joined(separator: " ")
            throw DataError(
                file: source, field: "PNG signature",
                "the bytes 89 50 4e 47 0d 0a 1a 0a expected, got \(found.isEmpty ? "an empty file" : found)")
        }
        var header: Header?
        var palette: [UInt8]?
        var compressed: [UInt8] = []
        var sawEnd = false
        var offset = 8
        var chunkIndex = 0
        // Each pass reads the chunk starting at `offset`: length, type, data, CRC.
        while !sawEnd {
            let remaining = bytes.count - offset
            guard remaining >= 12 else {
                throw DataError(
                    file: source, field: "chunk \(chunkIndex) at offset \(offset)",
                    remaining == 0 ? "an IEND chunk expected before the end of the file (truncated file)"
                        : "12 bytes (length, type, CRC) expected, \(remaining) left (truncated file)")
            }
            let length = Int(readBigEndianUInt32(bytes, offset))
            let typeBytes = Array(bytes[(offset + 4)..<(offset + 8)])
            guard typeBytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
                throw DataError(
                    file: source, field: "chunk \(chunkIndex) at offset \(offset)",
                    "a 4-letter chunk type expected, got bytes \(typeBytes.map { String(format2: $0) }.joined(separator: " "))")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard length <= 0x7FFF_FFFF, length <= remaining - 12 else {
                throw DataError(
                    file: source, field: "\(type) chunk at offset \(offset)",
                    "\(length) data bytes and a 4-byte CRC expected, only \(remaining - 8) bytes left (truncated file)")
            }
            let dataStart = offset + 8
            let storedCRC = readBigEndianUInt32(bytes, dataStart + length)
            let actualCRC = bytes.withUnsafeBytes { Gzip.crc32(UnsafeRawBufferPointer(rebasing: $0[(offset + 4)..<(dataStart + length)])) }
            guard storedCRC == actualCRC else {
                throw DataError(
                    file: source, field: "\(type) chunk CRC",
                    "CRC-32 \(hex32(actualCRC)) of the chunk's type and data expected, the file stores \(hex32(storedCRC))")
            }
            if chunkIndex == 0 && type != "IHDR" {
                throw DataError(file: source, field: "first chunk", "IHDR expected, got \(type)")
            }
            let data = bytes[dataStart..<(dataStart + length)]
            switch type {
            case "IHDR":
                guard chunkIndex == 0 else {
                    throw DataError(file: source, field: "IHDR", "a single IHDR chunk expected, found another at offset \(offset)")
                }
                header = try parseHeader(Array(data), source: source)
            case "PLTE":
                guard length % 3 == 0, (3...768).contains(length) else {
                    throw DataError(file: source, field: "PLTE", "1 to 256 RGB entries (a multiple of 3 bytes) expected, got \(length) bytes")
                }
                palette = Array(data)
            case "IDAT":
                compressed.append(contentsOf: data)
            case "IEND":
                sawEnd = true
            default:
                // Bit 5 of the first letter clear (upper case) marks a critical chunk.
                if typeBytes[0] & 0x20 == 0 {
                    throw DataError(file: source, field: "\(type) chunk", "only the critical chunks IHDR, PLTE, IDAT, IEND expected, got \(type)")
                }
            }
            offset = dataStart + length + 4
            chunkIndex += 1
        }
        guard let header else { throw DataError(file: source, field: "IHDR", "an IHDR chunk expected") }
        guard !compressed.isEmpty else {
            throw DataError(file: source, field: "IDAT", "at least one IDAT chunk with image data expected, found none")
        }
        if header.colorType == 3 && palette == nil {
            throw DataError(file: source, field: "PLTE", "a palette chunk expected for colour type 3 (indexed), found none")
        }

        let bpp = header.bytesPerPixel
        let stride = header.width * bpp
        let expected = header.height * (stride + 1)
        let filtered = try Gzip.zlibInflate(compressed, source: source, maximumSize: expected)
        guard filtered.count == expected else {
            throw DataError(
                file: source, field: "IDAT",
                "\(expected) bytes of filtered rows expected for \(header.width)×\(header.height), the data decompresses to \(filtered.count)")
        }
        let samples = try unfilter(filtered, height: header.height, stride: stride, bpp: bpp, source: source)
        return try convert(samples, header: header, palette: palette, source: source)
    }

    /// Validates the 13 bytes of IHDR: width, height, bit depth, colour type, methods.
    private static func parseHeader(_ data: [UInt8], source: String) throws -> Header {
        guard data.count == 13 else {
            throw DataError(file: source, field: "IHDR", "13 data bytes expected, got \(data.count)")
        }
        let width = Int(readBigEndianUInt32(data, 0))
        let height = Int(readBigEndianUInt32(data, 4))
        guard (1...0x7FFF_FFFF).contains(width), (1...0x7FFF_FFFF).contains(height) else {
            throw DataError(file: source, field: "IHDR size", "width and height in 1...2147483647 expected, got \(width)×\(height)")
        }
        guard width * height <= maximumPixels else {
            throw DataError(
                file: source, field: "IHDR size",
                "at most \(maximumPixels) pixels expected, the header claims \(width)×\(height) = \(width * height)")
        }
        let depth = data[8], colorType = data[9]
        guard [0, 2, 3, 4, 6].contains(colorType) else {
            throw DataError(file: source, field: "IHDR colour type", "0, 2, 3, 4 or 6 expected, got \(colorType)")
        }
        guard depth == 8 else {
            throw DataError(
                file: source, field: "IHDR bit depth",
                "8 bits per sample expected (16-bit and 1/2/4-bit images are not supported), got \(depth)")
        }
        guard data[10] == 0 else {
            throw DataError(file: source, field: "IHDR compression method", "0 (deflate) expected, got \(data[10])")
        }
        guard data[11] == 0 else {
            throw DataError(file: source, field: "IHDR filter method", "0 expected, got \(data[11])")
        }
        guard data[12] == 0 else {
            throw DataError(
                file: source, field: "IHDR interlace method",
                "0 (not interlaced) expected; Adam7 interlacing (\(data[12])) is not supported")
        }
        return Header(width: width, height: height, colorType: colorType)
    }

    /// Reverses the per-row filters, returning `height` rows of `stride` bytes.
    ///
    /// Filter types (PNG spec §9.2), for byte x of a row with a = byte x − bpp of this row,
    /// b = byte x of the row above, c = byte x − bpp of the row above (0 outside the image):
    /// 0 None, 1 Sub (+a), 2 Up (+b), 3 Average (+⌊(a+b)/2⌋), 4 Paeth (+ the one of a, b, c
    /// nearest to a + b − c, ties preferring a, then b).
    static func unfilter(_ filtered: [UInt8], height: Int, stride: Int, bpp: Int, source: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: height * stride)
        try filtered.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                let zeroRow = [UInt8](repeating: 0, count: stride)
                try zeroRow.withUnsafeBufferPointer { zero in
                    // Row y: filter byte at src[y·(stride+1)], then `stride` filtered bytes.
                    for y in 0..<height {
                        let filter = src[y * (stride + 1)]
                        let line = src.baseAddress! + y * (stride + 1) + 1
                        let row = dst.baseAddress! + y * stride
                        let above = y == 0 ? zero.baseAddress! : UnsafePointer(row - stride)
                        switch filter {
                        case 0:
                            row.update(from: line, count: stride)
                        case 1:
                            for x in 0..<stride {
                                let a = x >= bpp ? row[x - bpp] : 0
                                row[x] = line[x] &+ a
                            }
                        case 2:
                            for x in 0..<stride { row[x] = line[x] &+ above[x] }
                        case 3:
                            for x in 0..<stride {
                                let a = x >= bpp ? Int(row[x - bpp]) : 0
                                row[x] = line[x] &+ UInt8((a + Int(above[x])) / 2)
                            }
                        case 4:
                            for x in 0..<stride {
                                let a = x >= bpp ? Int(row[x - bpp]) : 0
                                let b = Int(above[x])
                                let c = x >= bpp ? Int(above[x - bpp]) : 0
                                row[x] = line[x] &+ UInt8(paeth(a, b, c))
                            }
                        default:
                            throw DataError(file: source, field: "IDAT row \(y)", "filter type 0...4 expected, got \(filter)")
                        }
                    }
                }
            }
        }
        return out
    }

    /// The Paeth predictor: whichever of a (left), b (above), c (upper left) is closest to a + b − c.
    @inline(__always)
    static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    /// Converts unfiltered samples to 1 or 3 channels, dropping alpha and expanding palettes.
    private static func convert(
        _ samples: [UInt8], header: Header, palette: [UInt8]?, source: String
    ) throws -> (pixels: [UInt8], width: Int, height: Int, channels: Int) {
        let n = header.width * header.height
        switch header.colorType {
        case 0, 2:
            return (samples, header.width, header.height, header.colorType == 0 ? 1 : 3)
        case 4:
            // Pixel i is (grey, alpha) at samples[2i...2i+1]; keep grey.
            return ((0..<n).map { samples[2 * $0] }, header.width, header.height, 1)
        case 6:
            var rgb = [UInt8](repeating: 0, count: n * 3)
            // Pixel i is (r, g, b, a) at samples[4i...4i+3]; keep r, g, b.
            for i in 0..<n {
                rgb[3 * i] = samples[4 * i]
                rgb[3 * i + 1] = samples[4 * i + 1]
                rgb[3 * i + 2] = samples[4 * i + 2]
            }
            return (rgb, header.width, header.height, 3)
        default:  // 3: indexed
            let table = palette ?? []
            let entries = table.count / 3
            var rgb = [UInt8](repeating: 0, count: n * 3)
            // Pixel i is a palette index; entry k is table[3k...3k+2].
            for i in 0..<n {
                let k = Int(samples[i])
                guard k < entries else {
                    throw DataError(
                        file: source, field: "IDAT pixel \(i % header.width),\(i / header.width)",
                        "a palette index below \(entries) expected, got \(k)")
                }
                rgb[3 * i] = table[3 * k]
                rgb[3 * i + 1] = table[3 * k + 1]
                rgb[3 * i + 2] = table[3 * k + 2]
            }
            return (rgb, header.width, header.height, 3)
        }
    }
}

extension String {
    /// Two lowercase hexadecimal digits.
    init(format2 byte: UInt8) {
        self = (byte < 16 ? "0" : "") + String(byte, radix: 16)
    }
}
