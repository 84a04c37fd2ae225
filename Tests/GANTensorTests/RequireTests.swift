import Foundation
import GANTensor
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
        let child = Process(), output = Pipe()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["GANTensorTests.RequireTests/testFailedCheckPrintsItsMessageInOptimisedBuilds"]
        child.environment = ProcessInfo.processInfo.environment.merging(["SWIFTGAN_TEST_REQUIRE": "child"]) { $1 }
        child.standardOutput = output
        child.standardError = output
        try child.run()
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        XCTAssertNotEqual(child.terminationStatus, 0, "the check did not stop the child:\n\(log)")
        XCTAssertTrue(log.contains("shape [2, 2] needs 4 values, got 3"), "the message is missing:\n\(log)")
    }
}
