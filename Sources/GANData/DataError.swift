/// The single error type of `GANData`: every failure to read, parse, verify or write a data file.
///
/// Its message names the file, the field (the part of the format that was wrong) and what was
/// expected, e.g. `train-images-idx3-ubyte.gz: IDX header: magic 0x00000803 expected for
/// images, got 0x00000801`.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// The file (path or name) or stream the error concerns.
    public let file: String
    /// The part of the format that was wrong, e.g. `IDX header`, `IHDR`, `checksum`.
    public let field: String
    /// What was expected and what was found.
    public let detail: String

    /// Creates an error about `field` of `file`.
    public init(file: String, field: String, _ detail: String) {
        self.file = file
        self.field = field
        self.detail = detail
    }

    /// `file: field: detail`.
    public var description: String { "\(file): \(field): \(detail)" }
}

/// Formats `value` as `0x` followed by eight hexadecimal digits (for magic numbers in messages).
func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// Reads a big-endian UInt32 at `offset`; the caller has checked that four bytes are there.
@inline(__always)
func readBigEndianUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
        | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}

/// Appends `value` as four big-endian bytes.
@inline(__always)
func appendBigEndianUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
    bytes.append(UInt8(truncatingIfNeeded: value >> 24))
    bytes.append(UInt8(truncatingIfNeeded: value >> 16))
    bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    bytes.append(UInt8(truncatingIfNeeded: value))
}
