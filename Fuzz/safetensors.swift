// libFuzzer target: SafeTensors.decode must return or throw, never trap, on any bytes.
//
// Each input is decoded as is and, when it holds a '}' after the 8-byte prefix, again with the
// header length rewritten to end at the last '}', so that mutations which grow or shrink the JSON
// header still reach the per-tensor checks. A decoded file must also survive re-encoding.
import GANTensor

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    decode(bytes, source: "fuzz.safetensors")
    if bytes.count > 8, let close = bytes[8...].lastIndex(of: UInt8(ascii: "}")) {
        let n = UInt64(close - 8 + 1)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
        decode(bytes, source: "fuzz-fixed.safetensors")
    }
    return 0
}

private func decode(_ bytes: [UInt8], source: String) {
    guard let (tensors, metadata) = try? SafeTensors.decode(bytes, source: source) else { return }
    // Whatever decodes must encode and decode again to the same shapes and metadata.
    if tensors["__metadata__"] != nil { return }
    guard let again = try? SafeTensors.decode(SafeTensors.encode(tensors, metadata: metadata), source: source + " (re-encoded)") else {
        fatalError("SafeTensors: re-encoding a decoded file gave bytes that do not decode")
    }
    guard again.metadata == metadata,
          again.tensors.count == tensors.count,
          tensors.allSatisfy({ again.tensors[$0.key]?.shape == $0.value.shape }) else {
        fatalError("SafeTensors: re-encoding a decoded file changed its tensors or metadata")
    }
}
