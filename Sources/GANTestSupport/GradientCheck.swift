import Foundation
import GANAutograd
import XCTest

/// Asserts that `actual` equals `expected` elementwise within `|a − e| ≤ atol + rtol·|e|`,
/// reporting the worst element.
public func assertClose(
    _ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
    _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.shape == expected.shape else {
        XCTFail("shape \(actual.shape) differs from expected \(expected.shape) \(message)", file: file, line: line)
        return
    }
    let a = actual.scalars, e = expected.scalars
    var worst = (index: -1, excess: Float(0))
    for i in a.indices {
        let err = abs(a[i] - e[i]), allowed = atol + rtol * abs(e[i])
        if !(err <= allowed) && (worst.index < 0 || err - allowed > worst.excess || err.isNaN) {
            worst = (i, err - allowed)
        }
    }
    if worst.index >= 0 {
        let i = worst.index
        XCTFail("element \(i) of \(actual.shape): \(a[i]) vs expected \(e[i]) (|diff| \(abs(a[i] - e[i])), allowed \(atol + rtol * abs(e[i]))) \(message)",
                file: file, line: line)
    }
}

/// Finite-difference gradient check.
///
/// Forms the scalar `L = Σ f() ⊙ c` with a fixed random cotangent `c` (so a non-uniform upstream
/// gradient is exercised), differentiates it with respect to every element of every input by
/// central differences `(L(x + ε) − L(x − ε)) / 2ε` (L summed in Double), and compares with the
/// analytic gradient from ``gradients(of:wrt:seed:createGraph:)``.
/// `f` must be deterministic and must read the inputs' current values.
public func assertGradientsMatchFiniteDifferences(
    wrt inputs: [Variable], epsilon: Float = 1e-3, rtol: Float = 1e-2, atol: Float = 1e-3,
    seed: UInt64 = 7, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line, _ f: () -> Variable
) {
    // f runs with recording on even for the differences: a double-backward f needs its inner graph.
    func evaluate() -> Variable { GradientMode.$isEnabled.withValue(true, operation: f) }
    let probe = evaluate()
    let rng = RandomGenerator(seed: seed)
    let cotangent = rng.uniform(probe.shape, low: -1, high: 1)
    let c = cotangent.scalars

    func loss() -> Double {
        let y = evaluate().value.scalars
        var s = 0.0
        for i in y.indices { s += Double(y[i]) * Double(c[i]) }
        return s
    }

    let y = evaluate()
    let analytic = gradients(of: y, wrt: inputs, seed: cotangent).map(\.value)
    for (k, input) in inputs.enumerated() {
        var numeric = [Float](repeating: 0, count: input.value.count)
        for j in 0..<input.value.count {
            let original = input.value.withUnsafeBufferPointer { $0[j] }
            input.value.withUnsafeMutableBufferPointer { $0[j] = original + epsilon }
            let plus = loss()
            input.value.withUnsafeMutableBufferPointer { $0[j] = original - epsilon }
            let minus = loss()
            input.value.withUnsafeMutableBufferPointer { $0[j] = original }
            numeric[j] = Float((plus - minus) / (2 * Double(epsilon)))
        }
        assertClose(analytic[k], Tensor(shape: input.shape, values: numeric), rtol: rtol, atol: atol,
                    "gradient of input \(k) (shape \(input.shape)) \(message)", file: file, line: line)
    }
}

/// A variable of the given shape with values from U(low, high), requiring a gradient.
public func randomVariable(_ shape: [Int], low: Float = -1, high: Float = 1, seed: UInt64) -> Variable {
    Variable(RandomGenerator(seed: seed).uniform(shape, low: low, high: high), requiresGradient: true)
}

/// Path of the package root (for reading `../shared/data`).
public func packageRoot(file: StaticString = #filePath) -> URL {
    var url = URL(fileURLWithPath: "\(file)")
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
}

/// The files of `folder` (relative to the package root) in name order, hidden files excluded;
/// empty when the folder is missing.
public func packageFiles(in folder: String) -> [URL] {
    let url = packageRoot().appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return names.filter { !$0.hasPrefix(".") }.sorted().map { url.appendingPathComponent($0) }
}

/// The shared MNIST folder beside the checkout (`../shared/data/mnist`), or nil if absent.
public func sharedMNISTDirectory() -> String? {
    let candidates = [
        ProcessInfo.processInfo.environment["GAN_TEST_MNIST_DIR"],
        packageRoot().appendingPathComponent("../shared/data/mnist").standardized.path,
    ].compactMap { $0 }
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/train-images-idx3-ubyte.gz") }
}

/// Cross-correlation by its definition, `y[n, o, i, j] = Σ_{c,p,q} x[n, c, i·sH − pH + p, j·sW − pW + q] · w[o, c, p, q]`
/// (0 outside x), for checking the convolution kernels. x: [N, C, H, W], w: [OC, C, kH, kW].
public func referenceConv2d(_ x: Tensor, _ w: Tensor, stride: (Int, Int), padding: (Int, Int)) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oc, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let oh = (h + 2 * padding.0 - kh) / stride.0 + 1, ow = (wd + 2 * padding.1 - kw) / stride.1 + 1
    var y = Tensor(zeros: [n, oc, oh, ow])
    for b in 0..<n { for o in 0..<oc { for i in 0..<oh { for j in 0..<ow {
        var s: Float = 0
        for ch in 0..<c { for p in 0..<kh { for q in 0..<kw {
            let iy = i * stride.0 - padding.0 + p, ix = j * stride.1 - padding.1 + q
            if iy >= 0 && iy < h && ix >= 0 && ix < wd { s += x[b, ch, iy, ix] * w[o, ch, p, q] }
        } } }
        y[b, o, i, j] = s
    } } } }
    return y
}

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
