import GANMetrics
import GANTensor
import XCTest

/// The check the metrics (and `gan evaluate`) make before measuring: NaN or ±inf in a row has
/// no distance or moment, so such rows are found and named up front.
final class FiniteInputTests: XCTestCase {
    func testFirstNonFiniteRowFindsTheFirstRowWithNaNOrInfinity() {
        XCTAssertNil(firstNonFiniteRow(Tensor(shape: [3, 2], values: [0, 1, -2, 3e38, -3e38, 5])))
        XCTAssertEqual(firstNonFiniteRow(Tensor(shape: [3, 2], values: [0, 1, 2, 3, 4, .nan])), 2)
        XCTAssertEqual(firstNonFiniteRow(Tensor(shape: [3, 2], values: [0, 1, .infinity, 3, .nan, 5])), 1)
        XCTAssertEqual(firstNonFiniteRow(Tensor(shape: [2, 1], values: [-.infinity, 0])), 0)
        // Images: a row is one sample, every axis after the first.
        var images = Tensor(zeros: [4, 1, 3, 3])
        images.withUnsafeMutableBufferPointer { $0[2 * 9 + 8] = .nan }
        XCTAssertEqual(firstNonFiniteRow(images), 2)
        // No rows, no values, or a scalar.
        XCTAssertNil(firstNonFiniteRow(Tensor(zeros: [0, 5])))
        XCTAssertNil(firstNonFiniteRow(Tensor(zeros: [3, 0])))
        XCTAssertEqual(firstNonFiniteRow(Tensor(scalar: .nan)), 0)
        XCTAssertNil(firstNonFiniteRow(Tensor(scalar: 1)))
    }
}
