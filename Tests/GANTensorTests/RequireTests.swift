import Foundation
import GANTensor
import GANTestSupport
import XCTest

final class RequireTests: XCTestCase {
    /// A failed check stops the program with its message in the optimised build the suite runs
    /// (`make test` builds with -c release), where `precondition` printed only "precondition
    /// failure". The check fails in a fresh process of this test binary, whose output is read.
    func testFailedCheckPrintsItsMessageInOptimisedBuilds() throws {
        if ProcessInfo.processInfo.environment["SWIFTGAN_TEST_REQUIRE"] == "child" {
            _ = Tensor(shape: [2, 2], values: [1, 2, 3])   // 3 values for 4 elements
            return
        }
        let (status, log) = try runTestInFreshProcess("GANTensorTests.RequireTests/testFailedCheckPrintsItsMessageInOptimisedBuilds",
                                                      environment: ["SWIFTGAN_TEST_REQUIRE": "child"])
        XCTAssertNotEqual(status, 0, "the check did not stop the child:\n\(log)")
        XCTAssertTrue(log.contains("shape [2, 2] needs 4 values, got 3"), "the message is missing:\n\(log)")
    }

    /// Batch norm's kernels index weight, bias and statistics by channel: a per-channel tensor
    /// of the wrong length is refused instead of read past its end.
    func testBatchNormRefusesPerChannelTensorsOfTheWrongLength() throws {
        if ProcessInfo.processInfo.environment["SWIFTGAN_TEST_REQUIRE"] == "batch-norm" {
            _ = NormalizationKernels.batchNormForward(Tensor(zeros: [4, 8, 5, 5]), weight: Tensor(zeros: [4]), bias: nil, epsilon: 1e-5)
            return
        }
        let (status, log) = try runTestInFreshProcess("GANTensorTests.RequireTests/testBatchNormRefusesPerChannelTensorsOfTheWrongLength",
                                                      environment: ["SWIFTGAN_TEST_REQUIRE": "batch-norm"])
        XCTAssertNotEqual(status, 0, "the check did not stop the child:\n\(log)")
        XCTAssertTrue(log.contains("batchNorm: weight holds 4 values for 8 channels"), "the message is missing:\n\(log)")
    }
}
