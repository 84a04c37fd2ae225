#if canImport(CMalloc)
import CMalloc
#endif
@testable import GANTensor
import GANTestSupport
import XCTest

final class BufferPoolTests: XCTestCase {
    /// A freed buffer is served again to the next tensor of the same size, not to a larger one,
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
        XCTAssertNotEqual(other.storage.pointer, first, "a larger size does not take the cached buffer")
        let again = Tensor(zeros: [count])
        XCTAssertEqual(again.storage.pointer, first, "the same size reuses the cached buffer")
        XCTAssertEqual(again.scalars, [Float](repeating: 0, count: count), "the new tensor's values, not the old ones")
        let after = BufferPool.currentStatistics
        XCTAssertGreaterThanOrEqual(after.reused - before.reused, 1)
        XCTAssertEqual(Int(bitPattern: again.storage.pointer) % 64, 0, "64-byte aligned")
    }

    /// A scratch buffer goes back to the cache when its closure returns and is served again.
    func testScratchIsGivenBackAndReused() {
        let count = 12_347  // a size no other test uses
        let first = BufferPool.withScratch(floats: count) { p -> UnsafeMutablePointer<Float> in
            p.update(repeating: 3, count: count)  // the whole buffer is writable
            XCTAssertEqual(Int(bitPattern: p) % 64, 0, "64-byte aligned")
            return p
        }
        let reusedBefore = BufferPool.currentStatistics.reused
        let second = BufferPool.withScratch(floats: count) { $0 }
        XCTAssertEqual(second, first, "the same size is served from the cache")
        XCTAssertEqual(BufferPool.currentStatistics.reused - reusedBefore, 1)
        let tensor = Tensor(zeros: [count])
        XCTAssertEqual(tensor.storage.pointer, first, "tensors share the scratch buffers' cache")
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

    /// A request takes the smallest cached buffer of at least its size and at most twice it
    /// (best fit); a larger request, or one less than half a buffer's size, takes a new one.
    func testRequestsAreServedByTheSmallestBufferThatFits() {
        BufferPool.releaseCachedBuffers()
        defer { BufferPool.releaseCachedBuffers() }
        var small: UnsafeMutablePointer<Float>?, large: UnsafeMutablePointer<Float>?
        do {
            let a = Tensor(zeros: [10_000]), b = Tensor(zeros: [15_008])  // 40,000 and 60,032 bytes
            small = a.storage.pointer; large = b.storage.pointer
        }
        let before = BufferPool.currentStatistics
        do {
            let t = Tensor(shape: [9_000], repeating: 2)            // 36,000 B: both fit, the smaller wins
            XCTAssertEqual(t.storage.pointer, small)
            XCTAssertEqual(t.scalars, [Float](repeating: 2, count: 9_000))
            let u = Tensor(zeros: [8_000])                          // 32,000 B: only the larger is left
            XCTAssertEqual(u.storage.pointer, large)
        }
        do {
            let t = Tensor(zeros: [15_024])                         // larger than every cached buffer
            XCTAssertNotEqual(t.storage.pointer, large)
            let u = Tensor(zeros: [4_992])                          // under half of the 40,000-byte one
            XCTAssertNotEqual(u.storage.pointer, small)
        }
        let after = BufferPool.currentStatistics
        XCTAssertEqual(after.reused - before.reused, 2)
        XCTAssertEqual(after.allocated - before.allocated, 2)
        // Given back by capacity: the 36,000-byte tensor returned the 40,000-byte buffer.
        XCTAssertEqual(after.cachedBytes, 40_000 + 60_032 + 60_096 + 19_968)
    }

    /// Over capacity, the least recently used sizes make room; a buffer larger than the whole
    /// capacity is not cached.
    func testLeastRecentlyUsedSizesAreEvicted() {
        let saved = BufferPool.capacityBytes
        defer { BufferPool.capacityBytes = saved; BufferPool.releaseCachedBuffers() }
        BufferPool.releaseCachedBuffers()
        BufferPool.capacityBytes = 5 * 4096
        do { _ = Tensor(zeros: [1024]) }           // size A cached (4 KiB)
        do { _ = Tensor(zeros: [2048]) }           // size B cached (8 KiB): 12 of 20 KiB
        XCTAssertEqual(BufferPool.currentStatistics.cachedBytes, 3 * 4096)
        // Size C (8256 B, larger than A and B, so new) does not fit beside them: A, the oldest, goes.
        do { _ = Tensor(zeros: [2048 + 16]) }
        XCTAssertEqual(BufferPool.currentStatistics.cachedBytes, 2 * 4096 + 8256)
        let before = BufferPool.currentStatistics
        do {
            let b = Tensor(zeros: [2048])          // B is still cached
            XCTAssertEqual(BufferPool.currentStatistics.reused - before.reused, 1)
            _ = Tensor(zeros: [1024])              // A was evicted and B is in use: from the system
            XCTAssertEqual(BufferPool.currentStatistics.allocated - before.allocated, 1)
            _ = b
        }
        do { _ = Tensor(zeros: [6 * 4096]) }       // larger than the capacity: never cached
        XCTAssertLessThanOrEqual(BufferPool.currentStatistics.cachedBytes, 5 * 4096)
    }

    /// Once glibc has raised its mmap threshold (freeing a block of 30 MiB raises it to 30 MiB),
    /// a block larger than anything free in its heap extends the heap; after
    /// ``BufferPool/pinMallocMmapThreshold(bytes:)`` it gets a mapping of its own (glibc counts
    /// those in `mallinfo2().hblks`), which goes back to the system when freed. Checked in a
    /// fresh process of this test binary: here the earlier tests leave the heap with more free
    /// than the largest threshold glibc sets by itself, and the pin would stay for later tests.
    func testPinnedMmapThresholdMapsLargeBlocksAgain() throws {
        #if canImport(CMalloc)
        let environment = ProcessInfo.processInfo.environment
        if environment["SWIFTGAN_TEST_MALLOC_PIN"] == "child" { return checkPinInThisProcess() }
        try assertPassesInFreshProcess("GANTensorTests.BufferPoolTests/testPinnedMmapThresholdMapsLargeBlocksAgain",
                                       environment: ["SWIFTGAN_TEST_MALLOC_PIN": "child"], removing: ["MALLOC_MMAP_THRESHOLD_"], "check")
        #else
        throw XCTSkip("glibc only")
        #endif
    }

    #if canImport(CMalloc)
    /// Each block is stored where the optimiser must assume it is read (LLVM deletes a malloc
    /// whose block is only freed).
    nonisolated(unsafe) static var observed: UnsafeMutableRawPointer?

    private func checkPinInThisProcess() {
        func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
            Self.observed = malloc(bytes)
            return Self.observed
        }
        // More than the heap holds free, so no free chunk can serve it.
        func sizeBeyondFreeHeap() -> Int { Int(mallinfo2().fordblks) + (1 << 20) }
        free(allocate(30 << 20))
        let first = sizeBeyondFreeHeap()
        XCTAssertLessThan(first, 30 << 20, "a fresh process's heap holds \(first - (1 << 20)) bytes free")
        var mapped = mallinfo2().hblks
        let heapBlock = allocate(first)
        XCTAssertEqual(mallinfo2().hblks, mapped, "before the pin, \(first) bytes extend glibc's heap")
        free(heapBlock)
        XCTAssertTrue(BufferPool.pinMallocMmapThreshold())
        let second = sizeBeyondFreeHeap()
        mapped = mallinfo2().hblks
        let mappedBlock = allocate(second)
        XCTAssertEqual(mallinfo2().hblks, mapped + 1, "after the pin, \(second) bytes have a mapping of their own")
        free(mappedBlock)
        Self.observed = nil
    }
    #endif
}
