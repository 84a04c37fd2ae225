@testable import GAN
import XCTest

final class GANModelTests: XCTestCase {
    func testFromUnitMapsAnUnsharedDataSetInPlaceAndLeavesSharedOnesAlone() {
        let unit: [Float] = [0, 0.25, 0.5, 1]
        let x = Tensor(shape: [2, 2], values: unit)
        let kept = x
        let y = PixelRange.symmetric.fromUnit(x)
        XCTAssertEqual(y.scalars, [-1, -0.5, 0, 1])
        XCTAssertEqual(kept.scalars, unit, "the caller's tensor is not written through")
        XCTAssertTrue(PixelRange.unit.fromUnit(kept).sharesStorage(with: kept), "[0, 1] data are used as they are")
        XCTAssertEqual(PixelRange.symmetric.toUnit(y).scalars, unit)

        // A freshly loaded set, referenced once: mapped without a second copy of its size.
        let fresh = Tensor(shape: [2, 2], values: unit)
        let storage = fresh.pointer
        let mapped = PixelRange.symmetric.fromUnit(consume fresh)
        XCTAssertEqual(mapped.pointer, storage)
        XCTAssertEqual(mapped.scalars, [-1, -0.5, 0, 1])
    }
}
