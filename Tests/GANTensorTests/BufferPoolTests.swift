@testable import GANTensor
import XCTest

final class BufferPoolTests: XCTestCase {
    /// A freed buffer is served again to the next tensor of the same size, not to another size,
    /// and its contents are whatever the new tensor writes.
    func testFreedBuffersAreReusedBySize() {
        let count = 12_345  // a size no other test uses
        var first: UnsafeMutablePointer<Float>?
        do {
            let t = Tensor(shape: [count], repeating: 7)
            first = t.storage.pointer
        }
        let before = BufferPool.currentStatistics
        let other = Tensor(zeros: [count + 100])
        XCTAssertNotEqual(other.storage.pointer, first, "another size does not take the cached buffer")
        let again = Tensor(zeros: [count])
        XCTAssertEqual(again.storage.pointer, first, "the same size reuses the cached buffer")
        XCTAssertEqual(again.scalars, [Float](repeating: 0, count: count), "the new tensor's values, not the old ones")
        let after = BufferPool.currentStatistics
        XCTAssertGreaterThanOrEqual(after.reused - before.reused, 1)
        XCTAssertEqual(Int(bitPattern: again.storage.pointer) % 64, 0, "64-byte aligned")
    }

    /// Nothing is cached beyond the capacity, and releasing empties the cache.
    func testCapacityAndRelease() {
        let saved = BufferPool.capacityBytes
        defer { BufferPool.capacityBytes = saved }
        BufferPool.releaseCachedBuffers()
        BufferPool.capacityBytes = 0
        do { _ = Tensor(zeros: [1024]) }
        XCTAssertEqual(BufferPool.currentStatistics.cachedBytes, 0, "capacity 0 caches nothing")
        BufferPool.capacityBytes = saved
        do { _ = Tensor(zeros: [1024]) }
        XCTAssertEqual(BufferPool.currentStatistics.cachedBytes, 4096, "the freed 4 KiB buffer is cached")
        BufferPool.releaseCachedBuffers()
        XCTAssertEqual(BufferPool.currentStatistics.cachedBytes, 0)
    }
}
