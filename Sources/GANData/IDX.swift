import GANTensor

/// The IDX file format of MNIST and Fashion-MNIST.
///
/// Layout (all integers big-endian):
///
/// | bytes | meaning |
/// |---|---|
/// | 0, 1 | zero |
/// | 2 | element type: 0x08 = unsigned byte (the only type these data sets use) |
/// | 3 | number of dimensions d |
/// | 4 ..< 4+4d | the d dimension sizes, UInt32 each |
/// | then | the elements, row-major, exactly the product of the sizes |
///
/// Images have magic `0x00000803` and dimensions [count, rows, columns]; labels have magic
/// `0x00000801` and dimension [count].
public enum IDX {
    /// Magic number of an unsigned-byte IDX file with three dimensions (images).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// Magic number of an unsigned-byte IDX file with one dimension (labels).
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// A parsed unsigned-byte IDX array.
    public struct Array: Equatable {
        /// The dimension sizes, outermost first.
        public let dimensions: [Int]
        /// The elements in row-major order; `count` is the product of `dimensions`.
        public let values: [UInt8]
    }

    /// Parses an unsigned-byte IDX file of any rank, checking that the byte count matches the
    /// dimensions exactly.
    ///
    /// - Parameter expectedMagic: when given, the first four bytes must equal it.
    /// - Throws: ``DataError`` naming `source` for a short header, a wrong magic or element type,
    ///   or a payload whose size differs from the product of the dimensions.
    public static func parse(_ bytes: [UInt8], source: String, expectedMagic: UInt32? = nil) throws -> Array {
        guard bytes.count >= 4 else {
            throw DataError(file: source, field: "IDX header", "at least 4 bytes expected, the file has \(bytes.count)")
        }
        let magic = readBigEndianUInt32(bytes, 0)
        if let expectedMagic, magic != expectedMagic {
            let kind = expectedMagic == imagesMagic ? " for images" : expectedMagic == labelsMagic ? " for labels" : ""
            throw DataError(file: source, field: "IDX header", "magic \(hex32(expectedMagic)) expected\(kind), got \(hex32(magic))")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError(file: source, field: "IDX header", "two zero bytes expected at the start, got \(hex32(magic))")
        }
        guard bytes[2] == 0x08 else {
            throw DataError(
                file: source, field: "IDX header",
                "element type 0x08 (unsigned byte) expected, got 0x\(String(bytes[2], radix: 16))")
        }
        let rank = Int(bytes[3])
        guard rank >= 1 else {
            throw DataError(file: source, field: "IDX header", "at least one dimension expected, got 0")
        }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw DataError(
                file: source, field: "IDX header",
                "\(headerSize) header bytes expected for \(rank) dimensions, the file has \(bytes.count)")
        }
        var dimensions: [Int] = []
        var product = 1
        // Dimension k is the big-endian UInt32 at byte 4 + 4k.
        for k in 0..<rank {
            let size = Int(readBigEndianUInt32(bytes, 4 + 4 * k))
            dimensions.append(size)
            let (p, overflow) = product.multipliedReportingOverflow(by: size)
            product = overflow ? Int.max : p
        }
        let payload = bytes.count - headerSize
        guard product == payload else {
            throw DataError(
                file: source, field: "IDX dimensions",
                "\(dimensions.map(String.init).joined(separator: "×")) = \(product == .max ? "overflowing" : String(product)) bytes of data expected, the file holds \(payload)")
        }
        return Array(dimensions: dimensions, values: Swift.Array(bytes[headerSize...]))
    }

    /// Parses an IDX image file (magic 0x00000803): `count` images of `rows`×`columns` bytes.
    public static func parseImages(_ bytes: [UInt8], source: String) throws -> (count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        let array = try parse(bytes, source: source, expectedMagic: imagesMagic)
        return (array.dimensions[0], array.dimensions[1], array.dimensions[2], array.values)
    }

    /// Parses an IDX label file (magic 0x00000801): one byte per example.
    public static func parseLabels(_ bytes: [UInt8], source: String) throws -> [UInt8] {
        try parse(bytes, source: source, expectedMagic: labelsMagic).values
    }

    /// Serialises an unsigned-byte array as IDX (for tests and for exporting subsets).
    public static func encode(dimensions: [Int], values: [UInt8]) -> [UInt8] {
        require(!dimensions.isEmpty && dimensions.count <= 255, "IDX.encode: 1...255 dimensions expected, got \(dimensions.count)")
        require(dimensions.allSatisfy { $0 >= 0 && $0 <= Int(UInt32.max) }, "IDX.encode: dimension out of UInt32 range in \(dimensions)")
        require(dimensions.reduce(1, *) == values.count, "IDX.encode: \(dimensions) needs \(dimensions.reduce(1, *)) values, got \(values.count)")
        var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { appendBigEndianUInt32(UInt32(d), to: &out) }
        out.append(contentsOf: values)
        return out
    }
}
