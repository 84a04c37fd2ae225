import GANTensor

/// An array read from a `.npy` file, in one of the element types this module supports.
public enum NPYArray: Equatable {
    /// dtype `<f4`: little-endian float32.
    case float32(Tensor)
    /// dtype `|u1` (or `<u1`): unsigned bytes.
    case uint8(shape: [Int], values: [UInt8])
    /// dtype `<i4`: little-endian int32.
    case int32(shape: [Int], values: [Int32])
    /// dtype `<i8`: little-endian int64.
    case int64(shape: [Int], values: [Int64])

    /// The array's shape (`[]` for a scalar).
    public var shape: [Int] {
        switch self {
        case .float32(let t): return t.shape
        case .uint8(let s, _), .int32(let s, _), .int64(let s, _): return s
        }
    }

    /// The values as a float tensor (integers converted exactly where representable).
    public var tensor: Tensor {
        switch self {
        case .float32(let t): return t
        case .uint8(let s, let v): return Tensor(shape: s, values: v.map { Float($0) })
        case .int32(let s, let v): return Tensor(shape: s, values: v.map { Float($0) })
        case .int64(let s, let v): return Tensor(shape: s, values: v.map { Float($0) })
        }
    }

    /// The values as integers, or nil for a float array.
    public var integers: [Int]? {
        switch self {
        case .float32: return nil
        case .uint8(_, let v): return v.map { Int($0) }
        case .int32(_, let v): return v.map { Int($0) }
        case .int64(_, let v): return v.map { Int($0) }
        }
    }
}

/// NumPy's `.npy` format, version 1.0 (and 2.0 on reading).
///
/// Layout: the magic `\x93NUMPY`, major and minor version bytes, the header length (UInt16
/// little-endian in 1.0, UInt32 in 2.0), then an ASCII Python dict literal padded with spaces and
/// ended by `\n` so the data starts at a multiple of 64 bytes, e.g.
///
///     {'descr': '<f4', 'fortran_order': False, 'shape': (64, 2), }
///
/// then the values in C (row-major) order. The writer writes float32 (`<f4`) tensors. The reader
/// accepts exactly the keys `descr`, `fortran_order` (must be False) and `shape`, the dtypes
/// `<f4`, `|u1`, `<i4` and `<i8`, and data exactly as long as the shape needs.
public enum NPY {
    /// The six magic bytes `\x93NUMPY`.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Serialises a float32 tensor as a version 1.0 `.npy` file.
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        let shapeText: String
        switch tensor.rank {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(tensor.shape[0]),)"
        default: shapeText = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        // Pad with spaces so that 10 fixed bytes + header + "\n" is a multiple of 64.
        let unpadded = 10 + header.count + 1
        header += [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64)
        header.append(0x0A)
        require(header.count <= Int(UInt16.max), "NPY.encode: shape \(tensor.shape) makes a header too long for version 1.0")
        var out = magic + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
        out += header
        out.reserveCapacity(out.count + tensor.count * 4)
        tensor.withUnsafeBufferPointer { values in
            // Value i as four little-endian bytes.
            for v in values {
                let bits = v.bitPattern.littleEndian
                withUnsafeBytes(of: bits) { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Writes `tensor` to `path` as `.npy`, atomically.
    public static func write(_ tensor: Tensor, to path: String) throws {
        try DataFiles.writeAtomically(encode(tensor), to: path)
    }

    /// Reads the `.npy` file at `path`.
    public static func read(_ path: String) throws -> NPYArray {
        try decode(DataFiles.read(path), source: path)
    }

    /// Reads a float32 `.npy` file as a tensor; other dtypes are an error.
    public static func readTensor(_ path: String) throws -> Tensor {
        let array = try read(path)
        guard case .float32(let t) = array else {
            throw DataError(file: path, field: "npy header descr", "'<f4' (float32) expected for a tensor")
        }
        return t
    }

    /// Parses a `.npy` file.
    ///
    /// - Throws: ``DataError`` naming `source` and the header field for a bad magic or version,
    ///   a malformed or unexpected header dict, an unsupported dtype, Fortran order, or a data
    ///   length that differs from what the shape needs.
    public static func decode(_ bytes: [UInt8], source: String) throws -> NPYArray {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DataError(file: source, field: "npy magic", "the bytes 93 'NUMPY' expected at the start")
        }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2:
            guard bytes.count >= 12 else {
                throw DataError(file: source, field: "npy header length", "4 bytes expected for version 2.0, file too short")
            }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw DataError(file: source, field: "npy version", "1.0 or 2.0 expected, got \(major).\(minor)")
        }
        guard headerLength <= bytes.count - headerStart else {
            throw DataError(
                file: source, field: "npy header length",
                "at most \(bytes.count - headerStart) bytes expected (the rest of the file), got \(headerLength)")
        }
        let headerBytes = Array(bytes[headerStart..<(headerStart + headerLength)])
        guard headerBytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F || $0 == 0x0A }) else {
            throw DataError(file: source, field: "npy header", "printable ASCII expected")
        }
        var parser = HeaderParser(text: headerBytes, source: source)
        let fields = try parser.parseDict()

        guard let descr = fields.descr else {
            throw DataError(file: source, field: "npy header", "the key 'descr' expected")
        }
        guard let fortran = fields.fortranOrder else {
            throw DataError(file: source, field: "npy header", "the key 'fortran_order' expected")
        }
        guard let shape = fields.shape else {
            throw DataError(file: source, field: "npy header", "the key 'shape' expected")
        }
        guard !fortran else {
            throw DataError(file: source, field: "npy header fortran_order", "False (C order) expected, got True")
        }
        let itemSize: Int
        switch descr {
        case "<f4", "<i4": itemSize = 4
        case "|u1", "<u1": itemSize = 1
        case "<i8": itemSize = 8
        default:
            throw DataError(file: source, field: "npy header descr", "'<f4', '|u1', '<i4' or '<i8' expected, got '\(descr)'")
        }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw DataError(file: source, field: "npy header shape", "a shape whose size fits in memory expected, got \(shape)")
            }
            count = p
        }
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        let (needed, overflow) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow, needed == available else {
            throw DataError(
                file: source, field: "npy data",
                "\(overflow ? "more than Int.max" : String(needed)) bytes expected for shape \(shape) of '\(descr)', the file holds \(available)")
        }
        return bytes.withUnsafeBytes { raw -> NPYArray in
            let data = UnsafeRawBufferPointer(rebasing: raw[dataStart...])
            switch descr {
            case "<f4":
                var t = Tensor(uninitializedShape: shape)
                t.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<count {
                        dst[i] = Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                }
                return .float32(t)
            case "<i4":
                return .int32(shape: shape, values: (0..<count).map {
                    Int32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))
                })
            case "<i8":
                return .int64(shape: shape, values: (0..<count).map {
                    Int64(littleEndian: data.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))
                })
            default:
                return .uint8(shape: shape, values: Array(data))
            }
        }
    }

    /// The three fields of an `.npy` header dict.
    struct HeaderFields {
        var descr: String?
        var fortranOrder: Bool?
        var shape: [Int]?
    }

    /// A strict parser for the Python dict literal of an `.npy` header: string keys, values that
    /// are strings, `True`/`False`, or tuples of non-negative integers.
    struct HeaderParser {
        let text: [UInt8]
        let source: String
        var position = 0

        init(text: [UInt8], source: String) {
            self.text = text
            self.source = source
        }

        func fail(_ expected: String) -> DataError {
            let found = position < text.count ? "'\(String(decoding: [text[position]], as: UTF8.self))'" : "the end"
            return DataError(file: source, field: "npy header", "\(expected) expected at character \(position), found \(found)")
        }

        mutating func skipSpaces() {
            while position < text.count && (text[position] == 0x20 || text[position] == 0x0A) { position += 1 }
        }

        mutating func expect(_ c: Character) throws {
            skipSpaces()
            guard position < text.count, text[position] == c.asciiValue! else { throw fail("'\(c)'") }
            position += 1
        }

        mutating func peek(_ c: Character) -> Bool {
            skipSpaces()
            return position < text.count && text[position] == c.asciiValue!
        }

        mutating func parseString() throws -> String {
            skipSpaces()
            guard position < text.count, text[position] == 0x27 || text[position] == 0x22 else { throw fail("a quoted string") }
            let quote = text[position]
            position += 1
            let start = position
            while position < text.count && text[position] != quote {
                guard text[position] != 0x5C else { throw fail("a string without escapes") }
                position += 1
            }
            guard position < text.count else { throw fail("a closing quote") }
            let value = String(decoding: text[start..<position], as: UTF8.self)
            position += 1
            return value
        }

        mutating func parseWord() -> String {
            skipSpaces()
            let start = position
            while position < text.count, let c = Optional(text[position]),
                  (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) {
                position += 1
            }
            return String(decoding: text[start..<position], as: UTF8.self)
        }

        mutating func parseShape() throws -> [Int] {
            try expect("(")
            var dims: [Int] = []
            // One iteration per tuple element; a trailing comma before ')' is allowed.
            while !peek(")") {
                let word = parseWord()
                guard !word.isEmpty, word.count <= 18, word.allSatisfy(\.isNumber), let d = Int(word) else {
                    throw fail("a non-negative integer dimension")
                }
                dims.append(d)
                if peek(",") { position += 1 } else { break }
            }
            try expect(")")
            if dims.count == 1 {
                // Python writes a 1-tuple as (n,): require that comma.
                var back = position - 2
                while back >= 0 && text[back] == 0x20 { back -= 1 }
                guard back >= 0, text[back] == 0x2C else {
                    throw DataError(file: source, field: "npy header shape", "a tuple like (n,) expected, got a parenthesised integer")
                }
            }
            return dims
        }

        mutating func parseDict() throws -> HeaderFields {
            var fields = HeaderFields()
            try expect("{")
            // One key: value pair per iteration, then ',' or the closing '}'.
            while !peek("}") {
                let key = try parseString()
                try expect(":")
                switch key {
                case "descr":
                    guard fields.descr == nil else { throw DataError(file: source, field: "npy header", "one 'descr' key expected, found two") }
                    fields.descr = try parseString()
                case "fortran_order":
                    guard fields.fortranOrder == nil else { throw DataError(file: source, field: "npy header", "one 'fortran_order' key expected, found two") }
                    switch parseWord() {
                    case "True": fields.fortranOrder = true
                    case "False": fields.fortranOrder = false
                    default: throw DataError(file: source, field: "npy header fortran_order", "True or False expected")
                    }
                case "shape":
                    guard fields.shape == nil else { throw DataError(file: source, field: "npy header", "one 'shape' key expected, found two") }
                    fields.shape = try parseShape()
                default:
                    throw DataError(file: source, field: "npy header", "only the keys 'descr', 'fortran_order', 'shape' expected, got '\(key)'")
                }
                if peek(",") { position += 1 } else { break }
            }
            try expect("}")
            skipSpaces()
            guard position == text.count else { throw fail("only spaces and a newline after the dict") }
            return fields
        }
    }
}
