#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A malformed or unreadable safetensors file, or a failed write.
///
/// `description` reads `"<file>: <field>: <problem>"`, for example
/// `model.safetensors: tensor 'main.0.weight' field 'data_offsets': expected [begin, end] with
/// 0 <= begin <= end <= 96 (the data buffer length), got [0, 128]`.
public struct SafeTensorsError: Error, CustomStringConvertible {
    /// The path of the file, or the `source` name given to ``SafeTensors/decode(_:source:)``.
    public let file: String
    /// What was being read or written: `"header length"`, `"header"`,
    /// `"tensor 'NAME' field 'shape'"`, `"__metadata__ key 'KEY'"`, `"file"`, ….
    public let field: String
    /// What was wrong: what was expected and what was found.
    public let problem: String

    public init(file: String, field: String, problem: String) {
        self.file = file
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(file): \(field): \(problem)" }
}

/// Reads and writes the safetensors format (https://huggingface.co/docs/safetensors).
///
/// Layout of a file:
///
/// ```text
/// [8 bytes]  N, the header length, a little-endian UInt64
/// [N bytes]  the header: a UTF-8 JSON object, padded with trailing spaces
/// [rest]     the data buffer: every tensor's values, little-endian, row-major
/// ```
///
/// The header maps each tensor name to
/// `{"dtype": "F32", "shape": [d0, d1, …], "data_offsets": [begin, end]}`, where `begin..<end`
/// is the tensor's byte range relative to the start of the data buffer and
/// `end - begin == product(shape) * 4`. A scalar has shape `[]` (one value); a shape with a zero
/// extent holds no bytes. The optional key `"__metadata__"` maps to an object of string → string.
///
/// Shapes are PyTorch's, so state dicts exported from PyTorch load directly (`Linear` weights are
/// `[out, in]`, `Conv2d` weights `[out, in, kH, kW]`, `ConvTranspose2d` weights `[in, out, kH, kW]`).
///
/// The writer emits `__metadata__` first (when not empty), then the tensors in sorted name order
/// (by UTF-8 bytes) with contiguous offsets from 0, and pads the header with spaces to a multiple
/// of 8 bytes, like the reference implementation. The reader accepts dtype `"F32"` and also
/// `"F64"` (converted to Float32; values outside Float32's range become ±infinity).
public enum SafeTensors {
    /// The largest header accepted by the reader, in bytes (100 MB, as in the reference implementation).
    public static let maximumHeaderLength = 100_000_000

    private static let metadataKey = "__metadata__"

    // MARK: - Encoding

    /// Encodes named tensors and optional string metadata to the bytes of a safetensors file.
    ///
    /// Every tensor is stored as `"F32"` with its shape (`[]` for a rank-0 tensor). Names are
    /// written in sorted order with contiguous data offsets starting at 0; the header is padded
    /// with spaces to a multiple of 8 bytes. A tensor may not be named `"__metadata__"`.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> [UInt8] {
        require(
            tensors[metadataKey] == nil,
            "SafeTensors.encode: a tensor may not be named '\(metadataKey)' (the key is reserved for metadata)")
        let names = sortedKeys(tensors.keys)

        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += jsonString(metadataKey) + ":{"
            header += sortedKeys(metadata.keys)
                .map { jsonString($0) + ":" + jsonString(metadata[$0]!) }
                .joined(separator: ",")
            header += "}"
            first = false
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let byteCount = t.count * MemoryLayout<Float>.size
            if !first { header += "," }
            first = false
            header += jsonString(name)
            header += #":{"dtype":"F32","shape":["#
            header += t.shape.map(String.init).joined(separator: ",")
            header += #"],"data_offsets":["#
            header += "\(offset),\(offset + byteCount)]}"
            offset += byteCount
        }
        header += "}"

        var headerBytes = Array(header.utf8)
        let padding = (8 - headerBytes.count % 8) % 8
        headerBytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))

        let total = 8 + headerBytes.count + offset
        var out = [UInt8]()
        out.reserveCapacity(total)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        let dataStart = out.count
        out.append(contentsOf: repeatElement(0, count: offset))
        out.withUnsafeMutableBytes { raw in
            var o = dataStart
            for name in names {
                tensors[name]!.withUnsafeBufferPointer { values in
                    for v in values {
                        raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: o, as: UInt32.self)
                        o += 4
                    }
                }
            }
        }
        return out
    }

    // MARK: - Decoding

    /// Decodes the bytes of a safetensors file into named tensors and the header's string metadata.
    ///
    /// Throws a ``SafeTensorsError`` naming `source`, the tensor and field, and what was expected,
    /// when the bytes are not a well-formed file: too short, a header length beyond the bytes or
    /// over 100 MB, a header that is not a UTF-8 JSON object, an entry without a valid
    /// dtype (`"F32"` or `"F64"`), shape (non-negative integers) or data offsets
    /// (`0 <= begin <= end <= data length`, `end - begin == product(shape) * element size`),
    /// overlapping byte ranges, or metadata values that are not strings.
    public static func decode(
        _ bytes: [UInt8], source: String = "<memory>"
    ) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        try bytes.withUnsafeBytes { try decode(raw: $0, source: source) }
    }

    private struct Entry {
        var name: String
        var shape: [Int]
        var elementSize: Int
        var begin: Int
        var end: Int
    }

    static func decode(
        raw: UnsafeRawBufferPointer, source: String
    ) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ field: String, _ problem: String) -> SafeTensorsError {
            SafeTensorsError(file: source, field: field, problem: problem)
        }

        guard raw.count >= 8 else {
            throw fail(
                "header length",
                "file is truncated: expected at least 8 bytes (the little-endian UInt64 header length), got \(raw.count) bytes")
        }
        let n = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard n <= UInt64(maximumHeaderLength) else {
            throw fail(
                "header length",
                "header length \(n) is larger than the \(maximumHeaderLength)-byte limit")
        }
        guard n <= UInt64(raw.count - 8) else {
            throw fail(
                "header length",
                "header length \(n) is larger than the \(raw.count - 8) bytes that follow the 8-byte prefix (file is \(raw.count) bytes)")
        }
        let headerLength = Int(n)
        let headerBytes = UnsafeRawBufferPointer(rebasing: raw[8..<(8 + headerLength)])
        let dataStart = 8 + headerLength
        let dataLength = raw.count - dataStart

        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw fail("header", "expected UTF-8 text, got invalid UTF-8 bytes")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(headerBytes), options: [])
        } catch {
            throw fail("header", "expected a JSON object, got text that is not valid JSON (\(jsonErrorSummary(error)))")
        }
        guard let object = json as? [String: Any] else {
            throw fail("header", "expected a JSON object, got \(jsonKind(json))")
        }

        // Metadata.
        var metadata: [String: String] = [:]
        if let m = object[metadataKey] {
            guard let dict = m as? [String: Any] else {
                throw fail(metadataKey, "expected an object of string values, got \(jsonKind(m))")
            }
            for (key, value) in dict {
                guard let s = value as? String, !(value is NSNumber) else {
                    throw fail("\(metadataKey) key '\(key)'", "expected a string value, got \(jsonKind(value))")
                }
                metadata[key] = s
            }
        }

        // Tensor entries: validate everything before allocating any tensor.
        var entries: [Entry] = []
        entries.reserveCapacity(object.count)
        for name in sortedKeys(object.keys) where name != metadataKey {
            let tensorField = "tensor '\(name)'"
            func field(_ f: String) -> String { "\(tensorField) field '\(f)'" }

            guard let entry = object[name] as? [String: Any] else {
                throw fail(
                    tensorField,
                    "expected an object with \"dtype\", \"shape\" and \"data_offsets\", got \(jsonKind(object[name]!))")
            }

            guard let dtypeValue = entry["dtype"] else {
                throw fail(field("dtype"), "missing; expected \"F32\"")
            }
            guard let dtype = dtypeValue as? String, !(dtypeValue is NSNumber) else {
                throw fail(field("dtype"), "expected the string \"F32\", got \(jsonKind(dtypeValue))")
            }
            let elementSize: Int
            switch dtype {
            case "F32": elementSize = 4
            case "F64": elementSize = 8
            default:
                throw fail(
                    field("dtype"),
                    "unsupported dtype \"\(dtype)\"; expected \"F32\" (or \"F64\", converted to Float32)")
            }

            guard let shapeValue = entry["shape"] else {
                throw fail(field("shape"), "missing; expected an array of non-negative integers")
            }
            guard let shapeArray = shapeValue as? [Any] else {
                throw fail(field("shape"), "expected an array of non-negative integers, got \(jsonKind(shapeValue))")
            }
            var shape: [Int] = []
            shape.reserveCapacity(shapeArray.count)
            for (i, d) in shapeArray.enumerated() {
                guard let v = exactInteger(d), v >= 0 else {
                    throw fail(
                        field("shape"),
                        "expected an array of non-negative integers, got \(jsonKind(d)) at index \(i)")
                }
                shape.append(v)
            }
            var elements = 1
            for d in shape {
                let (p, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow else {
                    throw fail(field("shape"), "element count of shape \(shape) overflows Int")
                }
                elements = p
            }
            let (expectedBytes, bytesOverflow) = elements.multipliedReportingOverflow(by: elementSize)
            guard !bytesOverflow else {
                throw fail(field("shape"), "byte size of shape \(shape) (\(dtype)) overflows Int")
            }

            guard let offsetsValue = entry["data_offsets"] else {
                throw fail(field("data_offsets"), "missing; expected [begin, end]")
            }
            guard let offsetsArray = offsetsValue as? [Any], offsetsArray.count == 2 else {
                throw fail(field("data_offsets"), "expected an array of two integers [begin, end], got \(jsonKind(offsetsValue))")
            }
            guard let begin = exactInteger(offsetsArray[0]), let end = exactInteger(offsetsArray[1]) else {
                throw fail(field("data_offsets"), "expected two integers [begin, end], got \(jsonKind(offsetsValue))")
            }
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw fail(
                    field("data_offsets"),
                    "expected [begin, end] with 0 <= begin <= end <= \(dataLength) (the data buffer length), got [\(begin), \(end)]")
            }
            guard end - begin == expectedBytes else {
                throw fail(
                    field("data_offsets"),
                    "byte range [\(begin), \(end)) holds \(end - begin) bytes but shape \(shape) of \(dtype) needs \(elements) × \(elementSize) = \(expectedBytes) bytes")
            }
            entries.append(Entry(name: name, shape: shape, elementSize: elementSize, begin: begin, end: end))
        }

        // Byte ranges must not overlap (empty ranges hold no bytes and overlap nothing).
        let ranges = entries.filter { $0.begin < $0.end }.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        if ranges.count > 1 {
            for i in 1..<ranges.count where ranges[i].begin < ranges[i - 1].end {
                let a = ranges[i - 1], b = ranges[i]
                throw fail(
                    "tensor '\(b.name)' field 'data_offsets'",
                    "byte range [\(b.begin), \(b.end)) overlaps tensor '\(a.name)' at [\(a.begin), \(a.end)); expected disjoint ranges")
            }
        }

        var tensors: [String: Tensor] = [:]
        tensors.reserveCapacity(entries.count)
        for e in entries {
            var t = Tensor(uninitializedShape: e.shape)
            let base = dataStart + e.begin
            t.withUnsafeMutableBufferPointer { dst in
                if e.elementSize == 4 {
                    for i in 0..<dst.count {
                        let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self))
                        dst[i] = Float(bitPattern: bits)
                    }
                } else {
                    for i in 0..<dst.count {
                        let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self))
                        dst[i] = Float(Double(bitPattern: bits))
                    }
                }
            }
            tensors[e.name] = t
        }
        return (tensors, metadata)
    }

    // MARK: - Files

    /// Writes named tensors and optional string metadata to a safetensors file at `path`
    /// (layout as in ``encode(_:metadata:)``).
    ///
    /// The write is atomic: the bytes go to a temporary file in the same directory, which is
    /// fsynced and then renamed over `path`; the directory is fsynced afterwards. Readers see
    /// either the old file or the complete new one. Throws a ``SafeTensorsError`` when the
    /// directory does not exist or any step fails (the temporary file is removed).
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        if tensors[metadataKey] != nil {
            throw SafeTensorsError(
                file: path, field: "tensor '\(metadataKey)'",
                problem: "the name is reserved for metadata; expected any other tensor name")
        }
        do { try AtomicFile.write(encode(tensors, metadata: metadata), to: path) } catch let e as AtomicFileError {
            throw SafeTensorsError(file: path, field: "write", problem: e.problem)
        }
    }

    /// The default cap on the size of a file ``read(path:maximumSize:)`` accepts: 4 GiB.
    public static let maximumFileSize = 1 << 32

    /// Reads a safetensors file (see ``decode(_:source:)``); errors name `path`.
    ///
    /// The file must be a regular file (a FIFO, socket or device is refused at once, never waited
    /// on) of at most `maximumSize` bytes, checked before anything is allocated for it.
    public static func read(path: String, maximumSize: Int = maximumFileSize) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ field: String, _ problem: String) -> SafeTensorsError {
            SafeTensorsError(file: path, field: field, problem: problem)
        }
        let bytes: [UInt8]
        do { bytes = try RegularFile.read(path, maximumSize: maximumSize) } catch {
            switch error {
            case .openFailed(let code, _) where code == ENOENT: throw fail("file", "no such file; expected an existing safetensors file")
            case .openFailed(_, let text): throw fail("file", "cannot be opened: \(text); expected a readable safetensors file")
            case .statFailed(let text): throw fail("file", "cannot be examined (fstat): \(text)")
            case .notRegular("a directory"): throw fail("file", "is a directory; expected a safetensors file")
            case .notRegular(let kind): throw fail("file", "is \(kind), not a regular file; expected a safetensors file")
            case .tooLarge(let size, let maximum): throw fail("size", "the file has \(size) bytes; expected at most \(maximum)")
            case .readFailed(let text, _): throw fail("file", "cannot be read: \(text)")
            case .truncated(let size, let done): throw fail("file", "\(size) bytes expected, the file ended after \(done) (was it truncated while being read?)")
            }
        }
        return try bytes.withUnsafeBytes { try decode(raw: $0, source: path) }
    }

    // MARK: - Helpers

    /// Keys in the order the writer uses: lexicographic by UTF-8 bytes.
    private static func sortedKeys<S: Sequence>(_ keys: S) -> [String] where S.Element == String {
        keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// An Int from a JSON number that is exactly an integer in Int's range; nil for booleans,
    /// fractions, out-of-range numbers and non-numbers.
    private static func exactInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        return Int(exactly: number)
    }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        let type = String(cString: number.objCType)
        return type == "c" || type == "B"
    }

    /// A short description of a JSON value for error messages.
    private static func jsonKind(_ value: Any) -> String {
        switch value {
        case let n as NSNumber:
            return isBoolean(n) ? "the boolean \(n.boolValue)" : "the number \(n)"
        case let s as String:
            let shown = s.count > 40 ? String(s.prefix(40)) + "…" : s
            return "the string \"\(shown)\""
        case let a as [Any]:
            let items = a.prefix(8).map { item -> String in
                if let n = item as? NSNumber { return isBoolean(n) ? "\(n.boolValue)" : "\(n)" }
                if let s = item as? String { return "\"\(s.prefix(20))\"" }
                if item is NSNull { return "null" }
                return item is [Any] ? "[…]" : "{…}"
            }
            return "[\(items.joined(separator: ", "))\(a.count > 8 ? ", …" : "")]"
        case is [String: Any]:
            return "an object"
        case is NSNull:
            return "null"
        default:
            return "a value of type \(type(of: value))"
        }
    }

    private static func jsonErrorSummary(_ error: Error) -> String {
        let ns = error as NSError
        if let detail = ns.userInfo["NSDebugDescription"] as? String { return detail }
        return ns.localizedDescription
    }

    /// A JSON string literal for `s`.
    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }
}
