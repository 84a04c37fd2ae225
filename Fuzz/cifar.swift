// libFuzzer target: CIFAR10.parse on arbitrary bytes must return or throw, never trap.
import GANData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do { _ = try CIFAR10.parse(bytes, source: "fuzz_batch.bin") } catch {}
    return 0
}
