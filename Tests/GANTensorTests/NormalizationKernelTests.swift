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

    /// The in-place per-channel affine map gives the out-of-place values bit for bit (identity,
    /// ReLU, LeakyReLU; odd planes, rank 2 and 4, with and without a shift), reuses the
    /// tensor's own buffer when it holds it alone, and copies first when another tensor shares it.
    func testChannelAffineInPlaceMatchesOutOfPlace() {
        let rng = RandomGenerator(seed: 71)
        for shape in [[3, 5, 7, 9], [7, 5], [1, 3, 1, 33]] {
            let c = shape[1]
            let scale = rng.normal([c]), shift = rng.normal([c])
            for slope in [nil, 0, 0.2] as [Float?] {
                for shiftOrNil in [shift, nil] as [Tensor?] {
                    let x = rng.normal(shape)
                    let expected = NormalizationKernels.channelAffine(x, scale: scale, shift: shiftOrNil, activationSlope: slope)
                    var alone = Tensor(shape: shape, values: x.scalars)
                    let buffer = alone.storage.pointer
                    NormalizationKernels.channelAffineInPlace(&alone, scale: scale, shift: shiftOrNil, activationSlope: slope)
                    XCTAssertEqual(alone.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern), "\(shape) slope \(String(describing: slope))")
                    XCTAssertEqual(alone.storage.pointer, buffer, "written over its own buffer")
                    let original = x.scalars
                    var shared = x
                    NormalizationKernels.channelAffineInPlace(&shared, scale: scale, shift: shiftOrNil, activationSlope: slope)
                    XCTAssertEqual(shared.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern))
                    XCTAssertEqual(x.scalars, original, "the tensor sharing the values is unchanged")
                }
            }
        }
    }
}
