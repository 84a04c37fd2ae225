// libFuzzer target: NPY.decode must return or throw, never trap, on any bytes.
//
// Each input is decoded as is and, for version 1.0 inputs with a '\n' after the prefix, again with
// the header length rewritten to end at that newline, so that mutations which grow or shrink the
// header dict still reach the dict parser and the data checks.
import GANData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do { _ = try NPY.decode(bytes, source: "fuzz.npy") } catch {}
    if bytes.count > 10, bytes[6] == 1, let newline = bytes[10...].firstIndex(of: 0x0A) {
        let n = newline - 10 + 1
        bytes[8] = UInt8(n & 0xFF)
        bytes[9] = UInt8(n >> 8 & 0xFF)
        do { _ = try NPY.decode(bytes, source: "fuzz-fixed.npy") } catch {}
    }
    return 0
}
