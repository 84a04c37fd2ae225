/// The reference-counted buffer behind a ``Tensor``: `count` Float32 values, 64-byte aligned,
/// taken from and given back to the ``BufferPool``.
///
/// Tensors share a storage until one of them is written (copy on write), so reshapes and
/// value copies are free.
public final class TensorStorage {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// Bytes of the pool's buffer behind `pointer` (at least `count` floats' worth).
    private let capacity: Int

    public init(count: Int) {
        require(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let (raw, capacity) = BufferPool.take(byteCount: count * MemoryLayout<Float>.stride)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.capacity = capacity
    }

    deinit { BufferPool.give(UnsafeMutableRawPointer(pointer), capacity: capacity) }

    func copy() -> TensorStorage {
        let new = TensorStorage(count: count)
        new.pointer.update(from: pointer, count: count)
        return new
    }
}

/// A dense, contiguous, row-major array of Float32 values.
///
/// Images are NCHW (batch, channels, height, width), matrices are [rows, columns], and weights
/// follow PyTorch's layouts (`Linear` [out, in], `Conv2d` [out, in, kH, kW], `ConvTranspose2d`
/// [in, out, kH, kW]). A `Tensor` is a value: copies share storage until one is written.
///
/// ```swift
/// let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
/// let y = x.reshaped([3, 2])        // no copy
/// ```
public struct Tensor {
    /// The extent of each dimension, outermost first. A scalar has shape `[]`.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// Number of elements, the product of `shape`.
    @inlinable public var count: Int { storage.count }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// Wraps an existing storage; `shape` must describe exactly `storage.count` values.
    public init(shape: [Int], storage: TensorStorage) {
        let n = Tensor.elementCount(shape, op: "Tensor(shape:storage:)")
        require(
            n == storage.count,
            "Tensor(shape:storage:): shape \(shape) holds \(n) values but the storage holds \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor whose values are not initialised yet; every kernel that calls this writes all of them.
    public init(uninitializedShape shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(count: Tensor.elementCount(shape, op: "Tensor(uninitializedShape:)"))
    }

    /// A tensor with every element equal to `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(uninitializedShape: shape)
        storage.pointer.update(repeating: value, count: storage.count)
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) { self.init(shape: shape, repeating: 0) }

    /// A tensor of ones.
    public init(ones shape: [Int]) { self.init(shape: shape, repeating: 1) }

    /// A tensor holding `values` in row-major order; `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Float]) {
        let n = Tensor.elementCount(shape, op: "Tensor(shape:values:)")
        require(
            n == values.count,
            "Tensor(shape:values:): shape \(shape) needs \(n) values, got \(values.count)")
        self.init(uninitializedShape: shape)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: n) }
    }

    /// A rank-0 tensor.
    public init(scalar: Float) { self.init(shape: [], repeating: scalar) }

    /// The values in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single value of a one-element tensor.
    public var item: Float {
        require(count == 1, "Tensor.item: tensor of shape \(shape) has \(count) elements, expected 1")
        return storage.pointer[0]
    }

    /// Read access to the values.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Write access to the values; copies the storage first if another tensor shares it.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Read-only base pointer, valid while `self` is alive. For kernels.
    @inlinable public var pointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// The same values under another shape with the same element count. `-1` in one place is inferred.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            require(
                known > 0 && count % known == 0,
                "reshape: cannot infer -1 in \(newShape) for \(count) elements (shape \(shape))")
            resolved[inferred] = count / known
        }
        let n = Tensor.elementCount(resolved, op: "reshape")
        require(n == count, "reshape: shape \(shape) (\(count) elements) cannot become \(newShape) (\(n) elements)")
        return Tensor(shape: resolved, storage: storage)
    }

    /// Element at a multi-index (slow; for tests and small tensors).
    public subscript(_ index: Int...) -> Float {
        get { storage.pointer[offset(of: index)] }
        set {
            let o = offset(of: index)
            withUnsafeMutableBufferPointer { $0[o] = newValue }
        }
    }

    func offset(of index: [Int]) -> Int {
        require(index.count == rank, "Tensor subscript: \(index.count) indices for shape \(shape)")
        var o = 0
        for (i, (ix, n)) in zip(index, shape).enumerated() {
            require(ix >= 0 && ix < n, "Tensor subscript: index \(ix) out of range 0..<\(n) in dimension \(i) of \(shape)")
            o = o * n + ix
        }
        return o
    }

    /// Product of `shape`, checked for negative extents and overflow.
    public static func elementCount(_ shape: [Int], op: String) -> Int {
        var n = 1
        for d in shape {
            require(d >= 0, "\(op): negative dimension in shape \(shape)")
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            require(!overflow, "\(op): shape \(shape) overflows Int")
            n = p
        }
        return n
    }

    /// True when both tensors share one storage (used by tests and the allocator accounting).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = scalars.prefix(8).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(head)\(count > 8 ? ", …" : "")])"
    }
}

extension Tensor: Equatable {
    /// Bit-for-bit equality of shape and values (NaN payloads included).
    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.shape == b.shape else { return false }
        if a.storage === b.storage { return true }
        return memcmp(a.storage.pointer, b.storage.pointer, a.count * MemoryLayout<Float>.stride) == 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
