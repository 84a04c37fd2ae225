#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
import GANTestSupport
import XCTest

@testable import GANTensor

final class SafeTensorsTests: XCTestCase {

    // MARK: - Helpers

    /// The bytes of a file: `header` as UTF-8 with the length prefix, then `data`.
    private func fileBytes(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        let n = headerLength ?? UInt64(h.count)
        var out: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) }
        out += h
        out += data
        return out
    }

    /// Little-endian bytes of Float32 values.
    private func le(_ values: [Float]) -> [UInt8] {
        values.flatMap { v -> [UInt8] in
            let b = v.bitPattern
            return [UInt8(b & 0xFF), UInt8((b >> 8) & 0xFF), UInt8((b >> 16) & 0xFF), UInt8(b >> 24)]
        }
    }

    /// Asserts that decoding `bytes` throws a SafeTensorsError naming `source` whose description
    /// contains every string in `contains`.
    private func assertRejects(
        _ bytes: [UInt8], contains: [String], file: StaticString = #filePath, line: UInt = #line
    ) {
        let source = "bad.safetensors"
        do {
            let result = try SafeTensors.decode(bytes, source: source)
            XCTFail("expected a SafeTensorsError, decoded \(result.tensors.keys.sorted())", file: file, line: line)
        } catch let error as SafeTensorsError {
            XCTAssertEqual(error.file, source, file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix(source + ": "), error.description, file: file, line: line)
            for s in contains {
                XCTAssertTrue(
                    error.description.contains(s), "'\(error.description)' does not mention '\(s)'",
                    file: file, line: line)
            }
        } catch {
            XCTFail("expected a SafeTensorsError, got \(error)", file: file, line: line)
        }
    }

    /// A fresh empty directory, removed after the test.
    private func makeTemporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    private func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

    private func sampleTensors() -> [String: Tensor] {
        let special: [Float] = [
            0, -0.0, 1, -1.5, .infinity, -.infinity, Float(bitPattern: 0x7FC0_1234), .leastNonzeroMagnitude,
            .greatestFiniteMagnitude, 3.14159, 1e-30, -7, 42, 0.1, 2.5,
        ]
        return [
            "scalar": Tensor(scalar: -0.25),
            "empty": Tensor(zeros: [0, 3]),
            "odd": Tensor(shape: [3, 1, 5], values: special),
            "main.0.weight": Tensor(shape: [7], values: (0..<7).map { Float($0) * 0.37 - 1 }),
            "z/last \"quoted\" ü": Tensor(shape: [1, 1, 1, 2], values: [9, -9]),
            "big": Tensor(shape: [5, 13], values: (0..<65).map { sin(Float($0)) }),
        ]
    }

    // MARK: - Round trip and layout

    func testRoundTripIsBitExactWithMetadata() throws {
        let tensors = sampleTensors()
        let metadata = ["format": "pt", "note": "line\nbreak \"quoted\" \\ tab\t ü", "empty": ""]
        let bytes = SafeTensors.encode(tensors, metadata: metadata)
        let decoded = try SafeTensors.decode(bytes)

        XCTAssertEqual(decoded.metadata, metadata)
        XCTAssertEqual(Set(decoded.tensors.keys), Set(tensors.keys))
        for (name, t) in tensors {
            let d = try XCTUnwrap(decoded.tensors[name], name)
            XCTAssertEqual(d.shape, t.shape, name)
            XCTAssertEqual(bits(d), bits(t), name)
        }
        XCTAssertEqual(decoded.tensors["scalar"]?.shape, [])
        XCTAssertEqual(decoded.tensors["scalar"]?.item, -0.25)
        XCTAssertEqual(decoded.tensors["empty"]?.shape, [0, 3])
        XCTAssertEqual(decoded.tensors["empty"]?.count, 0)
        // NaN payload survives.
        XCTAssertEqual(decoded.tensors["odd"]?.scalars[6].bitPattern, 0x7FC0_1234)
        // Encoding is deterministic.
        XCTAssertEqual(SafeTensors.encode(decoded.tensors, metadata: decoded.metadata), bytes)
    }

    func testRoundTripWithoutMetadataAndWithNoTensors() throws {
        let none = try SafeTensors.decode(SafeTensors.encode([:]))
        XCTAssertTrue(none.tensors.isEmpty)
        XCTAssertTrue(none.metadata.isEmpty)

        let onlyMeta = try SafeTensors.decode(SafeTensors.encode([:], metadata: ["k": "v"]))
        XCTAssertEqual(onlyMeta.metadata, ["k": "v"])
        XCTAssertTrue(onlyMeta.tensors.isEmpty)
    }

    func testDecodesHandBuiltStandardLayout() throws {
        // Header written by hand, keys out of order, no padding, ranges not in key order.
        let header = #"{"b":{"dtype":"F32","shape":[2,2],"data_offsets":[4,20]},"#
            + #""__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#
        let data: [UInt8] = [
            0x00, 0x00, 0x00, 0x3F,  // a = 0.5
            0x00, 0x00, 0x80, 0x3F,  // b[0,0] = 1
            0x00, 0x00, 0x00, 0xC0,  // b[0,1] = -2
            0x00, 0x00, 0x40, 0x40,  // b[1,0] = 3
            0x00, 0x00, 0x80, 0xFF,  // b[1,1] = -inf
        ]
        var bytes = [UInt8(header.utf8.count), 0, 0, 0, 0, 0, 0, 0]
        XCTAssertLessThan(header.utf8.count, 256)
        bytes += Array(header.utf8)
        bytes += data

        let (tensors, metadata) = try SafeTensors.decode(bytes)
        XCTAssertEqual(metadata, ["format": "pt"])
        XCTAssertEqual(tensors.count, 2)
        XCTAssertEqual(tensors["a"], Tensor(scalar: 0.5))
        XCTAssertEqual(tensors["b"], Tensor(shape: [2, 2], values: [1, -2, 3, -.infinity]))
    }

    func testEncodeProducesStandardBytes() {
        let bytes = SafeTensors.encode(
            ["b": Tensor(shape: [2], values: [1, -2]), "a": Tensor(scalar: 0.5)], metadata: ["format": "pt"])
        let json = #"{"__metadata__":{"format":"pt"},"#
            + #""a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let padded = json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
        var expected: [UInt8] = [UInt8(padded.utf8.count), 0, 0, 0, 0, 0, 0, 0]
        expected += Array(padded.utf8)
        expected += [0x00, 0x00, 0x00, 0x3F, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]
        XCTAssertEqual(bytes, expected)
        XCTAssertEqual(String(decoding: bytes.dropFirst(8).prefix(padded.utf8.count), as: UTF8.self), padded)
    }

    func testWriterHeaderIsPaddedSortedAndContiguous() throws {
        var tensors: [String: Tensor] = [:]
        let names = ["zeta", "alpha", "main.10.bias", "main.2.weight", "Beta", "b", "a.b", "empty", "é"]
        for (i, name) in names.enumerated() {
            let shape = name == "empty" ? [4, 0] : [i + 1, 3]
            let n = shape.reduce(1, *)
            tensors[name] = Tensor(shape: shape, values: (0..<n).map { Float($0 + i) })
        }
        let bytes = SafeTensors.encode(tensors, metadata: ["m": "1"])
        let n = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        XCTAssertEqual(n % 8, 0)
        let headerBytes = Array(bytes[8..<(8 + Int(n))])
        let header = String(decoding: headerBytes, as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":"#), header)
        let trimmed = header.replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        XCTAssertTrue(trimmed.hasSuffix("}"))
        XCTAssertLessThan(header.utf8.count - trimmed.utf8.count, 8)

        // Names appear in sorted (UTF-8 byte) order.
        let sorted = names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let positions = sorted.map { header.range(of: "\"\($0)\":{\"dtype\"")!.lowerBound }
        XCTAssertEqual(positions, positions.sorted())

        // Offsets are contiguous from 0 and cover the data buffer.
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any])
        var expectedBegin = 0
        for name in sorted {
            let entry = try XCTUnwrap(object[name] as? [String: Any])
            let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
            XCTAssertEqual(entry["dtype"] as? String, "F32")
            XCTAssertEqual(entry["shape"] as? [Int], tensors[name]!.shape)
            XCTAssertEqual(offsets[0], expectedBegin, name)
            XCTAssertEqual(offsets[1] - offsets[0], tensors[name]!.count * 4, name)
            expectedBegin = offsets[1]
        }
        XCTAssertEqual(expectedBegin, bytes.count - 8 - Int(n))
    }

    func testAcceptsF64AndConvertsToFloat32() throws {
        let values: [Double] = [1.0 / 3.0, -2.5, 1e300]
        var data: [UInt8] = []
        for v in values { data += (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt64($0))) } }
        let bytes = fileBytes(header: #"{"d":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}}"#, data: data)
        let t = try XCTUnwrap(SafeTensors.decode(bytes).tensors["d"])
        XCTAssertEqual(t.shape, [3])
        XCTAssertEqual(t.scalars[0], Float(1.0 / 3.0))
        XCTAssertEqual(t.scalars[1], -2.5)
        XCTAssertEqual(t.scalars[2], .infinity)

        // An F64 range sized for F32 is a mismatch.
        assertRejects(
            fileBytes(header: #"{"d":{"dtype":"F64","shape":[3],"data_offsets":[0,12]}}"#, data: Array(data[0..<12])),
            contains: ["tensor 'd'", "data_offsets", "needs", "24 bytes"])
    }

    func testErrorDescriptionFormat() {
        let bytes = fileBytes(
            header: #"{"main.0.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, data: le([1, 2]))
        XCTAssertThrowsError(try SafeTensors.decode(bytes, source: "model.safetensors")) { error in
            let e = error as? SafeTensorsError
            XCTAssertEqual(e?.file, "model.safetensors")
            XCTAssertEqual(e?.field, "tensor 'main.0.weight' field 'data_offsets'")
            XCTAssertTrue(
                e?.description.hasPrefix("model.safetensors: tensor 'main.0.weight' field 'data_offsets': expected") == true,
                "\(error)")
        }
    }

    // MARK: - Malformed input

    func testRejectsFileShorterThanLengthPrefix() {
        assertRejects([], contains: ["header length", "truncated", "8 bytes", "got 0 bytes"])
        assertRejects([1, 2, 3], contains: ["header length", "truncated", "got 3 bytes"])
    }

    func testRejectsTruncatedData() {
        let full = SafeTensors.encode(["w": Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])])
        assertRejects(Array(full.dropLast(4)), contains: ["tensor 'w'", "data_offsets", "<= 20", "got [0, 24]"])
    }

    func testRejectsHeaderLengthOverLimit() {
        let bytes = fileBytes(header: "{}      ", headerLength: 200_000_000)
        assertRejects(bytes, contains: ["header length", "200000000", "limit"])
        assertRejects(fileBytes(header: "{}", headerLength: UInt64.max), contains: ["header length", "limit"])
    }

    func testRejectsHeaderLongerThanFile() {
        let bytes = fileBytes(header: "{}      ", headerLength: 1000)
        assertRejects(bytes, contains: ["header length", "1000", "larger than the 8 bytes"])
    }

    func testRejectsNonJSONHeader() {
        assertRejects(fileBytes(header: "not json!       "), contains: ["header", "not valid JSON"])
        assertRejects(fileBytes(header: #"{"a":{"dtype":"F32""#), contains: ["header", "not valid JSON"])
    }

    func testRejectsInvalidUTF8Header() {
        var bytes = fileBytes(header: "{}")
        bytes[8] = 0xFF
        bytes[9] = 0xFE
        assertRejects(bytes, contains: ["header", "UTF-8"])
    }

    func testRejectsHeaderThatIsNotAnObject() {
        assertRejects(fileBytes(header: "[1, 2]  "), contains: ["header", "expected a JSON object", "[1, 2]"])
    }

    func testRejectsEntryThatIsNotAnObject() {
        assertRejects(fileBytes(header: #"{"a": 5}"#), contains: ["tensor 'a'", "expected an object", "5"])
    }

    func testRejectsMissingFields() {
        assertRejects(
            fileBytes(header: #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, data: le([1])),
            contains: ["tensor 'a' field 'dtype'", "missing"])
        assertRejects(
            fileBytes(header: #"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, data: le([1])),
            contains: ["tensor 'a' field 'shape'", "missing"])
        assertRejects(
            fileBytes(header: #"{"a":{"dtype":"F32","shape":[1]}}"#, data: le([1])),
            contains: ["tensor 'a' field 'data_offsets'", "missing"])
    }

    func testRejectsWrongDType() {
        assertRejects(
            fileBytes(header: #"{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
            contains: ["tensor 'ids' field 'dtype'", "\"I64\"", "expected \"F32\""])
        assertRejects(
            fileBytes(header: #"{"x":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, data: le([1])),
            contains: ["tensor 'x' field 'dtype'", "the number 32"])
    }

    func testRejectsShapeByteMismatch() {
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,8]}}"#, data: le([1, 2, 3, 4])),
            contains: ["tensor 'w' field 'data_offsets'", "holds 8 bytes", "[2, 2]", "16 bytes"])
    }

    func testRejectsNegativeShape() {
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,8]}}"#, data: le([1, 2])),
            contains: ["tensor 'w' field 'shape'", "non-negative integers", "-1"])
    }

    func testRejectsNonIntegerShape() {
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: le([1])),
            contains: ["tensor 'w' field 'shape'", "non-negative integers", "1.5"])
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, data: le([1])),
            contains: ["tensor 'w' field 'shape'", "boolean"])
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}"#, data: le([1, 2])),
            contains: ["tensor 'w' field 'shape'", "array"])
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[99999999999999999999999],"data_offsets":[0,4]}}"#, data: le([1])),
            contains: ["tensor 'w' field 'shape'", "non-negative integers"])
    }

    func testRejectsShapeOverflow() {
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, data: le([1])),
            contains: ["tensor 'w' field 'shape'", "overflows"])
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,4]}}"#, data: le([1])),
            contains: ["tensor 'w' field 'shape'", "overflows"])
    }

    func testRejectsOffsetsOutOfRange() {
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}}"#, data: le([1, 2, 3, 4])),
            contains: ["tensor 'w' field 'data_offsets'", "<= 16 (the data buffer length)", "got [0, 400]"])
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, data: le([1, 2, 3, 4])),
            contains: ["tensor 'w' field 'data_offsets'", "begin <= end", "got [8, 4]"])
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, data: le([1])),
            contains: ["tensor 'w' field 'data_offsets'", "0 <= begin", "got [-4, 0]"])
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, data: le([1])),
            contains: ["tensor 'w' field 'data_offsets'", "two integers"])
        assertRejects(
            fileBytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}}"#, data: le([1, 2])),
            contains: ["tensor 'w' field 'data_offsets'", "two integers"])
    }

    func testRejectsOverlappingRanges() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertRejects(
            fileBytes(header: header, data: le([1, 2, 3])),
            contains: ["tensor 'b' field 'data_offsets'", "overlaps tensor 'a'", "[4, 12)", "[0, 8)"])
        // Identical ranges overlap too; an empty tensor inside another's range does not.
        let same = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
            + #""b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        assertRejects(fileBytes(header: same, data: le([1])), contains: ["overlaps"])
        let empty = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#
        XCTAssertNoThrow(try SafeTensors.decode(fileBytes(header: empty, data: le([1, 2]))))
    }

    func testRejectsNonStringMetadata() {
        assertRejects(
            fileBytes(header: #"{"__metadata__":{"epoch":3}}"#),
            contains: ["__metadata__ key 'epoch'", "expected a string", "3"])
        assertRejects(fileBytes(header: #"{"__metadata__":["a"]}"#), contains: ["__metadata__", "object"])
    }

    // MARK: - Files

    func testWriteAndReadFile() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/model.safetensors"
        let tensors = sampleTensors()
        try SafeTensors.write(tensors, metadata: ["epoch": "3"], to: path)
        let onDisk = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual([UInt8](onDisk), SafeTensors.encode(tensors, metadata: ["epoch": "3"]))
        let (read, metadata) = try SafeTensors.read(path: path)
        XCTAssertEqual(metadata, ["epoch": "3"])
        XCTAssertEqual(read.count, tensors.count)
        for (name, t) in tensors { XCTAssertEqual(read[name].map(bits), bits(t), name) }
    }

    func testReadMissingFileNamesPath() throws {
        let path = try makeTemporaryDirectory() + "/missing.safetensors"
        XCTAssertThrowsError(try SafeTensors.read(path: path)) { error in
            let e = error as? SafeTensorsError
            XCTAssertEqual(e?.file, path)
            XCTAssertTrue(e?.description.contains(path) == true, "\(error)")
            XCTAssertTrue(e?.description.contains("no such file") == true, "\(error)")
        }
    }

    /// A FIFO is refused at once, not waited on (a blocking open waits for a writer forever;
    /// should it hang, the test releases it after 10 s by opening the FIFO for writing, and fails).
    func testReadRefusesAFIFOPromptly() throws {
        let path = try makeTemporaryDirectory() + "/pipe.safetensors"
        XCTAssertEqual(mkfifo(path, 0o600), 0, "mkfifo: \(String(cString: strerror(errno)))")
        let outcome = errorReadingFIFO(path, "SafeTensors.read") { _ = try SafeTensors.read(path: path) }
        let e = outcome as? SafeTensorsError
        XCTAssertEqual(e?.file, path)
        XCTAssertEqual(e?.field, "file")
        XCTAssertTrue(e?.problem.contains("not a regular file") == true, "\(String(describing: outcome))")
    }

    func testReadRefusesAFileOverTheSizeCap() throws {
        let path = try makeTemporaryDirectory() + "/big.safetensors"
        try SafeTensors.write(["a": Tensor(shape: [100], repeating: 1)], to: path)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertNoThrow(try SafeTensors.read(path: path, maximumSize: size))
        XCTAssertThrowsError(try SafeTensors.read(path: path, maximumSize: size - 1)) { error in
            XCTAssertEqual("\(error)", "\(path): size: the file has \(size) bytes; expected at most \(size - 1)")
        }
        XCTAssertThrowsError(try SafeTensors.read(path: (path as NSString).deletingLastPathComponent)) { error in
            XCTAssertTrue("\(error)".contains("is a directory"), "\(error)")
        }
    }

    func testReadMalformedFileNamesPath() throws {
        let path = try makeTemporaryDirectory() + "/short.safetensors"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SafeTensors.read(path: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path + ": header length: "), "\(error)")
        }
    }

    func testWriteIntoMissingDirectoryThrows() throws {
        let dir = try makeTemporaryDirectory() + "/no/such/dir"
        let path = dir + "/model.safetensors"
        XCTAssertThrowsError(try SafeTensors.write(["a": Tensor(scalar: 1)], to: path)) { error in
            let e = error as? SafeTensorsError
            XCTAssertEqual(e?.file, path)
            XCTAssertTrue(e?.description.contains("'\(dir)' does not exist") == true, "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testWriteReplacesExistingFileAtomically() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/ckpt.safetensors"
        try Data(repeating: 0xAB, count: 100_000).write(to: URL(fileURLWithPath: path))
        try SafeTensors.write(["old": Tensor(shape: [3], values: [1, 2, 3])], to: path)
        let replacement = ["new": Tensor(shape: [2, 2], values: [4, 3, 2, 1])]
        try SafeTensors.write(replacement, metadata: ["v": "2"], to: path)

        let (tensors, metadata) = try SafeTensors.read(path: path)
        XCTAssertEqual(tensors, replacement)
        XCTAssertEqual(metadata, ["v": "2"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["ckpt.safetensors"])
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        XCTAssertEqual(size, SafeTensors.encode(replacement, metadata: ["v": "2"]).count)
    }

    func testWriteRejectsReservedNameAndLeavesNoFile() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/x.safetensors"
        XCTAssertThrowsError(try SafeTensors.write(["__metadata__": Tensor(scalar: 1)], to: path)) { error in
            XCTAssertTrue("\(error)".contains("reserved"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testWriteWithRelativePath() throws {
        let dir = try makeTemporaryDirectory()
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(dir))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try SafeTensors.write(["a": Tensor(scalar: 2)], to: "rel.safetensors")
        XCTAssertEqual(try SafeTensors.read(path: dir + "/rel.safetensors").tensors["a"], Tensor(scalar: 2))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["rel.safetensors"])
    }
}

extension SafeTensorsTests {
    func testFailedRenameRemovesTemporaryFile() throws {
        let dir = try makeTemporaryDirectory()
        let target = dir + "/occupied"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        XCTAssertThrowsError(try SafeTensors.write(["a": Tensor(scalar: 1)], to: target)) { error in
            let e = error as? SafeTensorsError
            XCTAssertEqual(e?.file, target)
            XCTAssertTrue(e?.description.contains("cannot rename") == true, "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["occupied"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), [])
    }
}
