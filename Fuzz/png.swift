// libFuzzer target: PNG.decode must return or throw, never trap, on any bytes.
//
// Each input is decoded three ways, so that mutations get past the CRC-32 and zlib layers:
//   1. as is;
//   2. with every chunk's CRC recomputed (a mutated chunk otherwise fails the CRC check);
//   3. as a generated file: bytes 0...3 pick a small width, height, colour type and palette
//      size, the rest are the filtered rows (filter bytes included), zlib-compressed into IDAT.
import GANData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do { _ = try PNG.decode(bytes, source: "fuzz.png") } catch {}
    let repaired = repairingCRCs(bytes)
    if repaired != bytes {
        do { _ = try PNG.decode(repaired, source: "fuzz-crc.png") } catch {}
    }
    if let generated = generatedPNG(bytes) {
        do { _ = try PNG.decode(generated, source: "fuzz-generated.png") } catch {}
    }
    return 0
}

/// `bytes` with the CRC of every complete chunk after the signature set to the right value.
private func repairingCRCs(_ bytes: [UInt8]) -> [UInt8] {
    var out = bytes
    var offset = 8
    // Chunk at `offset`: 4-byte length, 4-byte type, data, 4-byte CRC of type and data.
    while offset + 12 <= out.count {
        let length = Int(out[offset]) << 24 | Int(out[offset + 1]) << 16 | Int(out[offset + 2]) << 8 | Int(out[offset + 3])
        let crcAt = offset + 8 + length
        guard crcAt + 4 <= out.count else { break }
        let crc = Gzip.crc32(Array(out[(offset + 4)..<crcAt]))
        out[crcAt] = UInt8(truncatingIfNeeded: crc >> 24)
        out[crcAt + 1] = UInt8(truncatingIfNeeded: crc >> 16)
        out[crcAt + 2] = UInt8(truncatingIfNeeded: crc >> 8)
        out[crcAt + 3] = UInt8(truncatingIfNeeded: crc)
        offset = crcAt + 4
    }
    return out
}

/// A PNG built from fuzz bytes: [w, h, colour type, palette entries / flags, rows...].
private func generatedPNG(_ bytes: [UInt8]) -> [UInt8]? {
    guard bytes.count >= 4 else { return nil }
    let width = Int(bytes[0] % 16) + 1
    let height = Int(bytes[1] % 16) + 1
    let colorTypes: [UInt8] = [0, 2, 3, 4, 6]
    let colorType = colorTypes[Int(bytes[2]) % colorTypes.count]
    let paletteEntries = Int(bytes[3] & 0x3F)  // 0 means no PLTE chunk
    let exactSize = bytes[3] & 0x40 != 0
    let bpp = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][Int(colorType)]!
    var rows = Array(bytes[4...])
    if exactSize {
        // Pad or cut to exactly height × (1 + width·bpp) bytes, so the rows reach unfilter.
        let expected = height * (1 + width * bpp)
        rows = Array(rows.prefix(expected)) + [UInt8](repeating: 0, count: max(0, expected - rows.count))
    }
    func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    var file = PNG.signature
    file += PNG.chunk(type: "IHDR", data: be32(width) + be32(height) + [8, colorType, 0, 0, 0])
    if paletteEntries > 0 {
        file += PNG.chunk(type: "PLTE", data: (0..<(3 * paletteEntries)).map { UInt8(truncatingIfNeeded: $0 &* 37) })
    }
    file += PNG.chunk(type: "IDAT", data: Gzip.zlibDeflate(rows, level: 1))
    file += PNG.chunk(type: "IEND", data: [])
    return file
}
