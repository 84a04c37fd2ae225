/// Stops the program with `message` unless `condition` holds: the checks on API misuse (shapes,
/// indices, ranges) used throughout SwiftGAN, in place of `precondition`.
///
/// Swift's `precondition` prints only "precondition failure" in optimised builds (the way the
/// `gan` tool and every benchmark run), dropping the message that says what was expected and
/// what came; `fatalError` keeps it. The message is built only when the check fails.
///
/// Only the test is inlined: the message, as a closure, goes to an out-of-line function, so its
/// string building stays out of the kernels. A message that mentions an array (a shape) keeps the
/// optimiser from placing that array on the stack, as it could when `precondition` dropped the
/// message: `BatchNorm`'s `mean.reshaped([c])` cost two heap allocations per call that way, until
/// the needless reshape went.
@inlinable @inline(__always)
public func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = "",
    file: StaticString = #fileID, line: UInt = #line
) {
    if _slowPath(!condition()) { requirementFailed(message, file: file, line: line) }
}

/// Stops the program with the message of a failed ``require(_:_:file:line:)``.
@usableFromInline @inline(never)
func requirementFailed(_ message: () -> String, file: StaticString, line: UInt) -> Never {
    fatalError(message(), file: file, line: line)
}
