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

/// The triples `(a[i], b[i], c[i])` of three arrays, as far as the shortest reaches.
public func zip3<A, B, C>(_ a: [A], _ b: [B], _ c: [C]) -> [(A, B, C)] {
    (0..<min(a.count, b.count, c.count)).map { (a[$0], b[$0], c[$0]) }
}
