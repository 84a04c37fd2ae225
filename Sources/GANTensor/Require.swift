/// Stops the program with `message` unless `condition` holds: the checks on API misuse (shapes,
/// indices, ranges) used throughout SwiftGAN, in place of `precondition`.
///
/// Swift's `precondition` prints only "precondition failure" in optimised builds (the way the
/// `gan` tool and every benchmark run), dropping the message that says what was expected and
/// what came; `fatalError` keeps it. The message is built only when the check fails.
@inlinable @inline(__always)
public func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = "",
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
