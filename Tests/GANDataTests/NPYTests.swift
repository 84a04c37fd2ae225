import XCTest
import GANTensor
@testable import GANData

final class NPYTests: XCTestCase {
    /// A file laid out as NumPy writes it: magic, version, header length, dict padded to 64 bytes.
    func npyFile(_ header: String, data: [UInt8], major: UInt8 = 1) -> [UInt8] {
        var text = Array(header.utf8)
        let fixed = major == 1 ? 10 : 12
        text += [UInt8](repeating: 0x20, count: (64 - (fixed + text.count + 1) % 64) % 64) + [0x0A]
        let length = major == 1 ? [UInt8(text.count & 0xFF), UInt8(text.count >> 8)]
                                : [UInt8(text.count & 0xFF), UInt8(text.count >> 8), 0, 0]
        return [0x93] + Array("NUMPY".utf8) + [major, 0] + length + text + data
    }

    func testFloatRoundTripForSeveralRanks() throws {
        for shape in [[], [5], [2, 3], [2, 1, 3, 2]] {
            let count = shape.reduce(1, *)
            let tensor = Tensor(shape: shape, values: (0..<count).map { Float($0) * 0.37 - 1.5 })
            let bytes = NPY.encode(tensor)
            // The data starts on a 64-byte boundary (NumPy's alignment rule for version 1.0).
            XCTAssertEqual((bytes.count - 4 * count) % 64, 0)
            guard case .float32(let back) = try NPY.decode(bytes, source: "t.npy") else { return XCTFail("float32 expected") }
            XCTAssertEqual(back, tensor, "shape \(shape)")
        }
        let dir = try makeTemporaryDirectory(self)
        let path = DataFiles.join(dir, "x.npy")
        let t = Tensor(shape: [3, 2], values: [1, -2, 3.5, .infinity, 0, -0.25])
        try NPY.write(t, to: path)
        XCTAssertEqual(try NPY.readTensor(path), t)
    }

    func testHeaderAsNumPyWritesIt() throws {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
        let bytes = NPY.encode(Tensor(shape: [2, 2], values: [1, 2, 3, 4]))
        XCTAssertEqual(Array(bytes[10..<(10 + header.utf8.count)]), Array(header.utf8))
        // 10 + 60 + newline = 71 bytes, padded to 128 (np.save of a 2×2 float32 array is 144 bytes).
        XCTAssertEqual(bytes.count, 128 + 16)
        XCTAssertEqual(bytes[127], 0x0A)
        // 1.0f is 00 00 80 3f little-endian.
        XCTAssertEqual(Array(bytes[128..<132]), [0x00, 0x00, 0x80, 0x3F])
    }

    func testIntegerDtypesAndVersion2() throws {
        let u8 = try NPY.decode(npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", data: [0, 7, 255]), source: "u")
        XCTAssertEqual(u8, .uint8(shape: [3], values: [0, 7, 255]))
        let i64 = try NPY.decode(npyFile("{\"descr\": \"<i8\", \"fortran_order\": False, \"shape\": (2,)}",
                                         data: [5, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), source: "i")
        XCTAssertEqual(i64.integers, [5, -1])
        XCTAssertEqual(i64.shape, [2])
        let i32 = try NPY.decode(npyFile("{'shape': (1, 2), 'fortran_order': False, 'descr': '<i4'}", data: [9, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF], major: 2), source: "j")
        XCTAssertEqual(i32, .int32(shape: [1, 2], values: [9, -2]))
        XCTAssertEqual(i32.tensor.scalars, [9, -2])
    }

    func testBadHeadersAreRejected() {
        let four = [UInt8](repeating: 0, count: 16)
        assertDataError(["m.npy", "npy magic"]) { try NPY.decode(Array("NUMPY garbage".utf8), source: "m.npy") }
        assertDataError(["v.npy", "npy version", "got 3.0"]) {
            var f = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", data: four)
            f[6] = 3
            return try NPY.decode(f, source: "v.npy")
        }
        assertDataError(["d.npy", "descr", "got '>f4'"]) {
            try NPY.decode(npyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", data: four), source: "d.npy")
        }
        assertDataError(["d.npy", "descr", "got '<f8'"]) {
            try NPY.decode(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data: four), source: "d.npy")
        }
        assertDataError(["o.npy", "fortran_order", "False (C order) expected"]) {
            try NPY.decode(npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data: four), source: "o.npy")
        }
        assertDataError(["s.npy", "npy data", "12 bytes expected for shape [3]", "holds 16"]) {
            try NPY.decode(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data: four), source: "s.npy")
        }
        assertDataError(["s.npy", "npy header shape"]) {
            try NPY.decode(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (9999999999, 9999999999, 9999999999), }", data: four), source: "s.npy")
        }
        assertDataError(["k.npy", "only the keys"]) {
            try NPY.decode(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'extra': 1}", data: four), source: "k.npy")
        }
        assertDataError(["k.npy", "'shape' expected"]) {
            try NPY.decode(npyFile("{'descr': '<f4', 'fortran_order': False}", data: four), source: "k.npy")
        }
        assertDataError(["k.npy", "two"]) {
            try NPY.decode(npyFile("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (4,)}", data: four), source: "k.npy")
        }
        assertDataError(["p.npy", "npy header"]) {
            try NPY.decode(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (-4,)}", data: four), source: "p.npy")
        }
        assertDataError(["p.npy", "npy header"]) {
            try NPY.decode(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (4)}", data: four), source: "p.npy")
        }
        assertDataError(["p.npy", "npy header"]) {
            try NPY.decode(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (4,)} x", data: four), source: "p.npy")
        }
        assertDataError(["l.npy", "npy header length"]) {
            var f = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", data: four)
            f[8] = 0xFF; f[9] = 0xFF
            return try NPY.decode(f, source: "l.npy")
        }
        // Version 2.0 with its 4-byte header length cut short, and a non-ASCII byte (0xC3) in the
        // header (FuzzRegressions/npy-1.bin and npy-2.bin).
        assertDataError(["v2.npy", "npy header length", "4 bytes expected for version 2.0"]) {
            try NPY.decode([0x93] + Array("NUMPY".utf8) + [2, 0, 0, 0], source: "v2.npy")
        }
        assertDataError(["a.npy", "npy header", "printable ASCII expected"]) {
            try NPY.decode([0x93] + Array("NUMPY".utf8) + [1, 0, 6, 0] + [0x7B, 0xC3, 0xA9, 0x7D, 0x20, 0x0A], source: "a.npy")
        }
        assertDataError(["r.npy", "'<f4' (float32) expected"]) {
            let dir = try makeTemporaryDirectory(self)
            let path = DataFiles.join(dir, "r.npy")
            try DataFiles.writeAtomically(npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", data: [1]), to: path)
            return try NPY.readTensor(path)
        }
    }
}
