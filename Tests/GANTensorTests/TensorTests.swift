@testable import GANTensor
import XCTest

final class TensorTests: XCTestCase {
    func testShapesCopyOnWriteAndReshape() {
        var a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = a
        a[1, 2] = 60
        XCTAssertEqual(b[1, 2], 6, "copies do not see writes")
        XCTAssertEqual(a[1, 2], 60)
        let r = b.reshaped([3, -1])
        XCTAssertEqual(r.shape, [3, 2])
        XCTAssertTrue(r.sharesStorage(with: b))
        XCTAssertEqual(Tensor(scalar: 3).item, 3)
        XCTAssertEqual(Tensor(zeros: [0, 4]).count, 0)
    }

    func testBroadcastingArithmetic() {
        let a = Tensor(shape: [2, 1, 3], values: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [2, 1], values: [10, 20])
        let c = a + b   // [2, 2, 3]
        XCTAssertEqual(c.shape, [2, 2, 3])
        XCTAssertEqual(c.scalars, [11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26])
        XCTAssertEqual((a * 2).scalars, [2, 4, 6, 8, 10, 12])
        XCTAssertEqual(Tensor(shape: [1, 3], values: [1, 2, 3]).broadcast(to: [2, 3]).scalars, [1, 2, 3, 1, 2, 3])
        // Channel broadcast [N, C, H, W] ⊕ [1, C, 1, 1] takes the merged-dimension path.
        let x = Tensor(shape: [2, 2, 2, 3], values: (0..<24).map(Float.init))
        let y = x + Tensor(shape: [1, 2, 1, 1], values: [100, 200])
        for n in 0..<2 { for c in 0..<2 { for h in 0..<2 { for w in 0..<3 {
            XCTAssertEqual(y[n, c, h, w], x[n, c, h, w] + Float(100 * (c + 1)))
        } } } }
    }

    func testStridedPlanMergesContiguousDimensions() {
        let plan = StridedPlan(shape: [4, 3, 5, 7], strides: [[105, 35, 7, 1], [0, 1, 0, 0]])
        XCTAssertEqual(plan.shape, [4, 3, 35])
        XCTAssertEqual(plan.strides[0], [105, 35, 1])
        XCTAssertEqual(plan.strides[1], [0, 1, 0])
    }

    func testLeadingAxisSumOverWideRowsMatchesDoubleSums() {
        // 2,500 columns: blocks of 128 accumulators, the last one partial, split over threads.
        let x = RandomGenerator(seed: 4).normal([37, 2500])
        let sums = x.sum(axes: [0])
        XCTAssertEqual(sums.shape, [2500])
        let p = x.pointer
        for j in [0, 127, 128, 1249, 1250, 2431, 2432, 2499] {
            let expected = (0..<37).reduce(0.0) { $0 + Double(p[$1 * 2500 + j]) }
            XCTAssertEqual(sums[j], Float(expected), "column \(j)")
        }
    }

    func testLargeElementwiseAndReductionsAreThreadCountIndependent() {
        let x = RandomGenerator(seed: 1).normal([300, 1000])
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 1
        let one = (x.map { $0 * $0 + 1 }, x.sum(axes: [0]), x.sum(axes: [1]))
        Parallel.threadCount = 2
        let two = (x.map { $0 * $0 + 1 }, x.sum(axes: [0]), x.sum(axes: [1]))
        XCTAssertEqual(one.0, two.0)
        XCTAssertEqual(one.1, two.1)
        XCTAssertEqual(one.2, two.2)
        XCTAssertEqual(x.sum(axes: [0, 1]).item, x.sumAll(), accuracy: 1e-2)
    }

    func testMeanOfATransformWithoutMaterialisingIt() {
        let x = Tensor(shape: [2, 2], values: [1, 2, 3, -4])
        XCTAssertEqual(x.meanAll { $0 * $0 }, 7.5)
        XCTAssertEqual(x.meanAll(), 0.5)
        XCTAssertEqual(x.sumAll { Swift.abs($0) }, 10)
        XCTAssertTrue(Tensor(zeros: [0]).meanAll { $0 + 1 }.isNaN, "no elements: NaN, not 0")
    }

    func testUpdateMapsInPlaceUnlessTheStorageIsShared() {
        // Large enough to be split across threads.
        let values = (0..<(1 << 17)).map { Float($0 % 256) / 255 }
        var a = Tensor(shape: [values.count], values: values)
        let before = a.pointer
        a.update { $0 * 2 - 1 }
        XCTAssertEqual(a.pointer, before, "an unshared tensor is mapped where it is")
        XCTAssertEqual(a.scalars, values.map { $0 * 2 - 1 })
        let kept = a
        var b = a
        b.update { -$0 }
        XCTAssertEqual(kept.scalars, values.map { $0 * 2 - 1 }, "a tensor sharing the storage keeps its values")
        XCTAssertNotEqual(b.pointer, kept.pointer)
        XCTAssertEqual(b.scalars, values.map { -($0 * 2 - 1) })
    }

    func testMaxAlongLastAxis() {
        let (v, i) = Tensor(shape: [2, 3], values: [1, 5, 5, -1, -3, -2]).maxAlongLastAxis()
        XCTAssertEqual(v.scalars, [5, -1])
        XCTAssertEqual(i, [1, 0], "first maximum wins ties")
    }

    func testSgemmThroughBLAS() {
        let a = RandomGenerator(seed: 2).normal([17, 33]), b = RandomGenerator(seed: 3).normal([33, 9])
        let c = Tensor.matmul(a, b)
        for i in [0, 5, 16] { for j in [0, 4, 8] {
            var s: Float = 0
            for k in 0..<33 { s += a[i, k] * b[k, j] }
            XCTAssertEqual(c[i, j], s, accuracy: 1e-4)
        } }
    }
}
