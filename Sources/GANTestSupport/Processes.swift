import Foundation
import XCTest

/// Runs one test of this test binary in a fresh process with `environment` added (for checks
/// that need a clean heap, or that end the process) and returns its exit status and output.
public func runTestInFreshProcess(_ test: String, environment: [String: String], removing: [String] = []) throws -> (status: Int32, output: String) {
    let child = Process(), output = Pipe()
    child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    child.arguments = [test]
    child.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.filter { !removing.contains($0.key) }
    child.standardOutput = output
    child.standardError = output
    try child.run()
    let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    child.waitUntilExit()
    return (child.terminationStatus, log)
}

/// Runs `test` in a fresh process as ``runTestInFreshProcess(_:environment:removing:)`` does and
/// records a failure, naming `what`, unless it ran and passed.
public func assertPassesInFreshProcess(_ test: String, environment: [String: String], removing: [String] = [],
                                       _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let (status, log) = try runTestInFreshProcess(test, environment: environment, removing: removing)
    XCTAssertEqual(status, 0, "\(what) in a fresh process failed:\n\(log)", file: file, line: line)
    XCTAssertTrue(log.contains("Executed 1 test, with 0 failures"), "the fresh process ran no \(what):\n\(log)", file: file, line: line)
}

/// Calls `read` (which should refuse the FIFO at `fifo` at once) on another thread and returns
/// what it threw; should it still wait after 10 s, records a failure naming `what` and releases
/// it by opening the FIFO for writing.
public func errorReadingFIFO(_ fifo: String, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                             _ read: @escaping @Sendable () throws -> Void) -> Error? {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var outcome: Error?
    DispatchQueue.global().async {
        do { try read() } catch { outcome = error }
        done.signal()
    }
    if done.wait(timeout: .now() + 10) == .timedOut {
        XCTFail("\(what) waited on the FIFO for 10 s", file: file, line: line)
        let writer = open(fifo, O_WRONLY | O_NONBLOCK)
        if writer >= 0 { close(writer) }
        done.wait()
    }
    return outcome
}
