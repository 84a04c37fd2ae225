// libFuzzer target: IDX.parse (any rank, no magic check), IDX.parseImages and IDX.parseLabels
// on arbitrary bytes must return or throw, never trap.
import GANData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do { _ = try IDX.parse(bytes, source: "fuzz-idx-ubyte") } catch {}
    do { _ = try IDX.parseImages(bytes, source: "fuzz-images-idx3-ubyte") } catch {}
    do { _ = try IDX.parseLabels(bytes, source: "fuzz-labels-idx1-ubyte") } catch {}
    return 0
}
