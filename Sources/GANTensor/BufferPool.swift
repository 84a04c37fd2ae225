#if canImport(CMalloc)
import CMalloc
#endif
import Foundation

/// A cache of freed tensor buffers, reused by the next tensors.
///
/// A training step allocates the same shapes in the same order every iteration. Without a cache
/// each large buffer is a fresh `mmap` whose pages the kernel zeroes on first touch (5–10% of a
/// DCGAN step in perf profiles here) and, with several threads, glibc spreads them over arenas it
/// does not give back.
/// With it, once the first iterations have run, tensors are served from the cache and the
/// process's resident size stops growing — the same idea as PyTorch's caching allocators.
///
/// Buffers are 64-byte aligned and kept by their byte size (rounded up to 64 bytes). A request
/// takes the smallest cached buffer of at least its size and at most ``largestFit`` times it
/// (best fit): a step's layers use a few large sizes at different moments, and a buffer idle
/// in one size's list while a smaller size is wanted would otherwise sit beside a new one
/// (exact sizes held 148 MB at the peak of a dcgan28 step whose live tensors peaked at 89 MB).
/// The cache never holds more than ``capacityBytes``: when a freed buffer would exceed it, the
/// sizes used least recently are freed first (a process that changes batch size does not keep
/// the old sizes), and a buffer larger than the whole capacity is freed at once.
/// ``releaseCachedBuffers()`` returns everything cached to the system.
public enum BufferPool {
    /// The cached buffers of one size. A class, so taking and giving mutate it in place without
    /// going through a dictionary's modify accessor (which allocated on every call).
    private final class Bucket {
        /// The byte size of every buffer in it.
        let size: Int
        var buffers: [UnsafeMutableRawPointer] = []
        /// Tick of the last take or give of this size (for least-recently-used eviction).
        var lastUse = 0
        init(size: Int) { self.size = size }
    }

    private static let lock = NSLock()
    /// One bucket per size seen, ascending by size (best fit searches them in order).
    nonisolated(unsafe) private static var buckets: [Bucket] = []
    nonisolated(unsafe) private static var cachedBytes = 0
    nonisolated(unsafe) private static var statistics = Statistics()
    nonisolated(unsafe) private static var tick = 0

    /// A request is served from a cached buffer of at most this many times its size.
    public static let largestFit = 2

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
        let all = buckets.flatMap { $0.buffers }
        buckets = []
        cachedBytes = 0
        lock.unlock()
        for p in all { p.deallocate() }
    }

    static func roundedSize(_ byteCount: Int) -> Int { (max(byteCount, 1) + 63) / 64 * 64 }

    /// The index of the first bucket of at least `size` bytes (`buckets.count` if none). Call
    /// with the lock held.
    private static func firstBucket(atLeast size: Int) -> Int {
        var low = 0, high = buckets.count
        while low < high {
            let middle = (low + high) / 2
            if buckets[middle].size < size { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The bucket of exactly `size` bytes, created on first use. Call with the lock held.
    private static func bucket(_ size: Int) -> Bucket {
        let i = firstBucket(atLeast: size)
        if i < buckets.count && buckets[i].size == size { return buckets[i] }
        let b = Bucket(size: size)
        buckets.insert(b, at: i)
        return b
    }

    /// A 64-byte-aligned buffer of at least `byteCount` bytes (contents undefined) and its size,
    /// `capacity`, to give back with it: the smallest cached buffer that fits within
    /// ``largestFit`` times the rounded size, else a new one of the rounded size.
    static func take(byteCount: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int) {
        let size = roundedSize(byteCount)
        lock.lock()
        tick += 1
        var i = firstBucket(atLeast: size)
        while i < buckets.count && buckets[i].size <= size * largestFit {
            let b = buckets[i]
            if let p = b.buffers.popLast() {
                b.lastUse = tick
                cachedBytes -= b.size
                statistics.reused += 1
                lock.unlock()
                return (p, b.size)
            }
            i += 1
        }
        statistics.allocated += 1
        lock.unlock()
        return (UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64), size)
    }

    /// Runs `body` with a 64-byte-aligned scratch buffer of at least `count` floats (contents
    /// undefined) taken from the cache and given back afterwards. Unlike a scratch ``Tensor``
    /// it allocates no object, so kernels can use it on every call.
    static func withScratch<R>(floats count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let (raw, capacity) = take(byteCount: max(count, 1) * MemoryLayout<Float>.stride)
        defer { give(raw, capacity: capacity) }
        return try body(raw.bindMemory(to: Float.self, capacity: max(count, 1)))
    }

    /// Gives back a buffer obtained from ``take(byteCount:)`` with the capacity it came with.
    static func give(_ pointer: UnsafeMutableRawPointer, capacity size: Int) {
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
            for victim in buckets.sorted(by: { $0.lastUse < $1.lastUse }) where victim.size != size {
                evicted += victim.buffers
                cachedBytes -= victim.size * victim.buffers.count
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

extension BufferPool {
    /// Has glibc give every allocation of `bytes` or more (default 128 KiB, glibc's own starting
    /// value) its own mapping, returned to the system when freed, for the rest of the process.
    ///
    /// glibc raises that threshold to the size of each large block freed (up to 32 MiB), after
    /// which the libraries' transient buffers come from heaps it keeps: sampling 1,000 images,
    /// oneDNN's sgemm asks for four packing buffers of 1.8 MB per batch, and the batches added
    /// 314–347 MB to the resident size instead of 292 MB with the threshold pinned. Tensor
    /// buffers do not depend on it (this cache keeps them). A process-wide setting, so the
    /// library never applies it by itself: the `gan` tool and `gan-bench` call it first thing.
    /// Does nothing where `MALLOC_MMAP_THRESHOLD_` is set (the user's choice stands) and off
    /// glibc. Returns whether it set the threshold.
    @discardableResult
    public static func pinMallocMmapThreshold(bytes: Int = 128 << 10) -> Bool {
        #if canImport(CMalloc)
        guard ProcessInfo.processInfo.environment["MALLOC_MMAP_THRESHOLD_"] == nil else { return false }
        return mallopt(M_MMAP_THRESHOLD, Int32(clamping: bytes)) == 1
        #else
        return false
        #endif
    }
}
