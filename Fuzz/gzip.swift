// libFuzzer target: Gzip.decompress (multi-member gzip) and Gzip.zlibInflate (the zlib streams of
// PNG's IDAT data) must return or throw, never trap, on any bytes.
//
// Besides decoding the input as is, each input is also split into up to three pieces that are
// gzip-compressed and concatenated (optionally followed by zero padding or by raw fuzz bytes);
// the decoder must give back exactly the pieces, and must respect `maximumSize` to the byte.
import GANData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do { _ = try Gzip.decompress(bytes, source: "fuzz.gz") } catch {}
    // A small cap exercises the "output over maximumSize" path as well.
    do { _ = try Gzip.decompress(bytes, source: "fuzz.gz", maximumSize: 1000) } catch {}
    do { _ = try Gzip.zlibInflate(bytes, source: "fuzz.zlib") } catch {}
    roundTrip(bytes)
    return 0
}

/// Compresses pieces of `bytes` as gzip members and checks that decompression gives them back.
private func roundTrip(_ bytes: [UInt8]) {
    guard bytes.count >= 3 else { return }
    let flags = bytes[0]
    let body = Array(bytes[3...])
    let cut1 = min(body.count, Int(bytes[1]) * body.count / 255)
    let cut2 = min(body.count, max(cut1, Int(bytes[2]) * body.count / 255))
    var pieces = [Array(body[..<cut1]), Array(body[cut1..<cut2]), Array(body[cut2...])]
    pieces = Array(pieces.prefix(1 + Int(flags & 3) % 3))
    if flags & 0xE0 == 0xE0, let first = pieces.first, !first.isEmpty {
        // Now and then a member larger than the 256 KiB inflate chunk (slow, so not often).
        var big: [UInt8] = []
        while big.count < 300_000 { big += first }
        pieces[0] = big
    }
    var stream = pieces.flatMap { Gzip.compress($0) }
    let expected = pieces.flatMap { $0 }
    var tailIsClean = true
    switch flags >> 2 & 3 {
    case 1: stream += [UInt8](repeating: 0, count: Int(flags >> 4 & 7) + 1)   // gzip(1) tolerates zero padding
    case 2: stream += body.prefix(Int(flags >> 4 & 7) + 1); tailIsClean = false  // trailing garbage
    default: break
    }
    do {
        let out = try Gzip.decompress(stream, source: "fuzz-roundtrip.gz")
        if tailIsClean && out != expected {
            fatalError("Gzip.decompress round trip: \(expected.count) bytes in, \(out.count) different bytes out")
        }
    } catch {
        if tailIsClean { fatalError("Gzip.decompress round trip threw on a valid stream: \(error)") }
    }
    guard tailIsClean else { return }
    do {
        _ = try Gzip.decompress(stream, source: "fuzz-exact.gz", maximumSize: expected.count)
    } catch {
        fatalError("Gzip.decompress threw with maximumSize equal to the output size \(expected.count): \(error)")
    }
    if !expected.isEmpty {
        if (try? Gzip.decompress(stream, source: "fuzz-over.gz", maximumSize: expected.count - 1)) != nil {
            fatalError("Gzip.decompress returned \(expected.count) bytes with maximumSize \(expected.count - 1)")
        }
    }
}
