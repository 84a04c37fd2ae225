@testable import GANTensor
import XCTest

final class NormalizationKernelTests: XCTestCase {
    /// Statistics against a Double reference when the mean is a thousand standard deviations
    /// from zero: the variance must come from centred squares, not from Σx² − Mμ² (which loses
    /// every digit in Float here). Planes of 49 values: SIMD lanes plus a remainder.
    func testStatisticsStayAccurateFarFromZero() {
        let shape = [5, 3, 7, 7]
        let x = RandomGenerator(seed: 70).normal(shape) + 1000
        let (y, stats) = NormalizationKernels.batchNormForward(x, weight: nil, bias: nil, epsilon: 0)
        let values = x.scalars, p = 49, c = 3
        for ch in 0..<c {
            let channel = (0..<5).flatMap { n in (0..<p).map { Double(values[(n * c + ch) * p + $0]) } }
            let mean = channel.reduce(0, +) / Double(channel.count)
            let variance = channel.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(channel.count)
            XCTAssertEqual(Double(stats.mean[ch]), mean, accuracy: 1e-4 * mean)
            XCTAssertEqual(Double(stats.variance[ch]), variance, accuracy: 1e-3 * variance)
        }
        // The normalised output has mean 0 and variance 1 per channel.
        let out = y.scalars
        for ch in 0..<c {
            let channel = (0..<5).flatMap { n in (0..<p).map { Double(out[(n * c + ch) * p + $0]) } }
            let mean = channel.reduce(0, +) / Double(channel.count)
            XCTAssertEqual(mean, 0, accuracy: 2e-3)
            XCTAssertEqual(channel.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(channel.count), 1, accuracy: 2e-3)
        }
    }
}
