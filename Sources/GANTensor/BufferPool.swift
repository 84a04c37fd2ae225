import Foundation

/// A cache of freed tensor buffers, reused by the next tensor of the same size.
///
/// A training step allocates the same shapes in the same order every iteration. Without a cache
/// each large buffer is a fresh `mmap` whose pages the kernel zeroes on first touch (5–10% of a
/// DCGAN step in perf profiles here) and, with several threads, glibc spreads them over arenas it
/// does not give back.
/// With it, once the first iterations have run, tensors are served from the cache and the
/// process's resident size stops growing — the same idea as PyTorch's caching allocators.
///
/// Buffers are kept per exact byte size (rounded up to 64 bytes), 64-byte aligned. The cache never
/// holds more than ``capacityBytes``: when a freed buffer would exceed it, the sizes used least
/// recently are freed first (a process that changes batch size does not keep the old sizes), and a
/// buffer larger than the whole capacity is freed at once. ``releaseCachedBuffers()`` returns
/// everything cached to the system.
public enum BufferPool {
    /// The cached buffers of one size. A class, so taking and giving mutate it in place without
    /// going through a dictionary's modify accessor (which allocated on every call).
    private final class Bucket {
        var buffers: [UnsafeMutableRawPointer] = []
        /// Tick of the last take or give of this size (for least-recently-used eviction).
        var lastUse = 0
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var buckets: [Int: Bucket] = [:]
    nonisolated(unsafe) private static var cachedBytes = 0
    nonisolated(unsafe) private static var statistics = Statistics()
    nonisolated(unsafe) private static var tick = 0

    /// Most bytes the cache may hold (default 2 GiB).
    nonisolated(unsafe) public static var capacityBytes = 2 << 30

    /// Counters since the process started (or ``resetStatistics()``).
    public struct Statistics: Equatable, Sendable {
        /// Buffers served from the cache.
        public var reused = 0
        /// Buffers obtained from the system allocator.
        public var allocated = 0
        /// Bytes currently held in the cache, not in use by any tensor.
        public var cachedBytes = 0
    }

    public static var currentStatistics: Statistics {
        lock.lock(); defer { lock.unlock() }
        var s = statistics
        s.cachedBytes = cachedBytes
        return s
    }

    public static func resetStatistics() {
        lock.lock(); statistics = Statistics(); lock.unlock()
    }

    /// Frees every cached buffer.
    public static func releaseCachedBuffers() {
        lock.lock()
        let all = buckets.values.flatMap { $0.buffers }
        buckets = [:]
        cachedBytes = 0
        lock.unlock()
        for p in all { p.deallocate() }
    }

    static func roundedSize(_ byteCount: Int) -> Int { (max(byteCount, 1) + 63) / 64 * 64 }

    /// The bucket of `size`, created on first use. Call with the lock held.
    private static func bucket(_ size: Int) -> Bucket {
        if let b = buckets[size] { return b }
        let b = Bucket()
        buckets[size] = b
        return b
    }

    /// A 64-byte-aligned buffer of at least `byteCount` bytes (contents undefined).
    static func take(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = roundedSize(byteCount)
        lock.lock()
        let b = bucket(size)
        tick += 1
        b.lastUse = tick
        if let p = b.buffers.popLast() {
            cachedBytes -= size
            statistics.reused += 1
            lock.unlock()
            return p
        }
        statistics.allocated += 1
        lock.unlock()
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    /// Runs `body` with a 64-byte-aligned scratch buffer of at least `count` floats (contents
    /// undefined) taken from the cache and given back afterwards. Unlike a scratch ``Tensor``
    /// it allocates no object, so kernels can use it on every call.
    static func withScratch<R>(floats count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let byteCount = max(count, 1) * MemoryLayout<Float>.stride
        let raw = take(byteCount: byteCount)
        defer { give(raw, byteCount: byteCount) }
        return try body(raw.bindMemory(to: Float.self, capacity: max(count, 1)))
    }

    /// Gives back a buffer obtained from ``take(byteCount:)`` with the same `byteCount`.
    static func give(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let size = roundedSize(byteCount)
        lock.lock()
        guard size <= capacityBytes else {
            lock.unlock()
            pointer.deallocate()
            return
        }
        let b = bucket(size)
        tick += 1
        b.lastUse = tick
        var evicted = [UnsafeMutableRawPointer]()
        if cachedBytes + size > capacityBytes {
            // Free whole sizes, least recently used first, until this buffer fits.
            for (other, victim) in buckets.sorted(by: { $0.value.lastUse < $1.value.lastUse }) where other != size {
                evicted += victim.buffers
                cachedBytes -= other * victim.buffers.count
                victim.buffers = []
                if cachedBytes + size <= capacityBytes { break }
            }
        }
        if cachedBytes + size <= capacityBytes {
            b.buffers.append(pointer)
            cachedBytes += size
        } else {
            evicted.append(pointer)
        }
        lock.unlock()
        for p in evicted { p.deallocate() }
    }
}
