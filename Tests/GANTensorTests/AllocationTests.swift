import Foundation
@testable import GANTensor
import GANTestSupport
import XCTest

/// Heap allocations of warm kernel calls, counted by `bench/malloc_count.c` (the benchmarks'
/// counter) preloaded into a fresh process of this test binary. Linux only (`LD_PRELOAD`), and
/// only where a C compiler is on the PATH to build the counter.
final class AllocationTests: XCTestCase {
    /// A parallel loop written as a ``ParallelLoop`` value, the batched products on OpenBLAS and
    /// all three Winograd passes allocate nothing once warm; a closure handed to the pool is boxed
    /// on every call (which shows the counter sees the pool's allocations).
    func testWarmKernelsAllocateNothing() throws {
        #if os(Linux)
        if ProcessInfo.processInfo.environment["SWIFTGAN_TEST_MALLOC_COUNT"] == "child" { return countInThisProcess() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swiftgan-malloc-count-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let counter = try buildCounter(in: folder)
        try assertPassesInFreshProcess("GANTensorTests.AllocationTests/testWarmKernelsAllocateNothing",
                                       environment: ["SWIFTGAN_TEST_MALLOC_COUNT": "child", "LD_PRELOAD": counter], "count")
        #else
        throw XCTSkip("LD_PRELOAD: Linux only")
        #endif
    }

    #if os(Linux)
    /// `bench/malloc_count.c` built into a shared library in `folder`; its path.
    private func buildCounter(in folder: URL) throws -> String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../bench/malloc_count.c").standardizedFileURL.path
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let library = folder.appendingPathComponent("malloc_count.so").path
        for compiler in ["cc", "clang", "gcc"] {
            let build = Process()
            build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            build.arguments = [compiler, "-O2", "-shared", "-fPIC", "-o", library, source]
            build.standardOutput = FileHandle.nullDevice
            build.standardError = FileHandle.nullDevice
            try build.run()
            build.waitUntilExit()
            if build.terminationStatus == 0 { return library }
        }
        throw XCTSkip("no C compiler (cc, clang, gcc) built \(source)")
    }

    /// Allocations `body` makes over 10 calls after 2 warm-up calls: the fewest of 3 tries, so a
    /// stray allocation of another thread of the test process does not count.
    private func allocations(_ count: () -> UInt64, _ body: () -> Void) -> UInt64 {
        body(); body()
        return (0..<3).map { _ in
            let before = count()
            for _ in 0..<10 { body() }
            return count() - before
        }.min()!
    }

    private struct Increment: ParallelLoop {
        let values: UnsafeMutablePointer<Float>
        func run(_ range: Range<Int>) { for i in range { values[i] += 1 } }
    }

    private func countInThisProcess() {
        guard let symbol = dlsym(nil, "malloc_count_calls") else {
            return XCTFail("malloc_count_calls not found: the counter is not preloaded")
        }
        typealias Counter = @convention(c) () -> UInt64
        let count = unsafeBitCast(symbol, to: Counter.self)
        let savedThreads = Parallel.threadCount, savedLibraries = BLAS.runAllProducts(on: .openBLAS)
        defer { Parallel.threadCount = savedThreads; BLAS.restore(savedLibraries) }
        Parallel.threadCount = 2

        let n = 1 << 18  // 8 times the work a thread needs to be woken: both threads run
        let values = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { values.deallocate() }
        values.initialize(repeating: 0, count: n)
        let closureCalls = allocations(count) { Parallel.forRanges(n) { r in for i in r { values[i] += 1 } } }
        XCTAssertGreaterThanOrEqual(closureCalls, 10, "a closure is boxed on every parallel call")
        XCTAssertEqual(allocations(count) { Parallel.forRanges(n, Increment(values: values)) }, 0, "forRanges with a ParallelLoop")
        XCTAssertEqual(allocations(count) { Parallel.perform(7, Increment(values: values)) }, 0, "perform with a ParallelLoop")
        XCTAssertEqual(values[0], 3 * (2 + 3 * 10), "every call of the three forms ran")

        // Two chunks of images, so each pass walks its chunk loop and sums the weight gradient.
        let g = Conv2dGeometry(batch: 6, inChannels: 24, inHeight: 14, inWidth: 14, outChannels: 32,
                               kernel: (4, 4), stride: (2, 2), padding: (1, 1))
        let savedBudget = WinogradConvolution.tileBudget
        defer { WinogradConvolution.tileBudget = savedBudget }
        WinogradConvolution.tileBudget = 3 * 9 * 4 * g.inChannels * 49
        XCTAssertTrue(WinogradConvolution.takes(g))
        let rng = RandomGenerator(seed: 5)
        let x = rng.normal(g.inputShape), w = rng.normal(g.weightShape), dy = rng.normal(g.outputShape)
        let y = Tensor(zeros: g.outputShape), dx = Tensor(zeros: g.inputShape), dw = Tensor(zeros: g.weightShape)
        XCTAssertEqual(allocations(count) { WinogradConvolution.forward(x.pointer, w.pointer, g, into: y.storage.pointer) }, 0, "Winograd forward")
        XCTAssertEqual(allocations(count) { WinogradConvolution.backwardInput(dy.pointer, w.pointer, g, into: dx.storage.pointer) }, 0,
                       "Winograd input gradient")
        XCTAssertEqual(allocations(count) { WinogradConvolution.backwardWeight(x.pointer, dy.pointer, g, into: dw.storage.pointer) }, 0,
                       "Winograd weight gradient")
    }
    #endif
}
