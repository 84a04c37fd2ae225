@testable import GAN
import XCTest

/// Once warm, a training step takes every tensor buffer from the buffer cache, none from the
/// system allocator: what keeps a run's resident size flat (the peak-memory figures of the
/// benchmarks rest on it).
final class SteadyStateTests: XCTestCase {
    func testAWarmStepTakesNoTensorBufferFromTheSystem() throws {
        for model in TrainingConfig.Model.allCases {
            var c = smallConfig(model)
            // DCGANs with layers of 16 and 32 channels, which oneDNN runs where it is linked
            // (blocked copies kept between passes, scratch per part).
            if model == .dcgan || model == .cdcgan { c.width = 16 }
            let t = try Trainer(config: c, data: data(for: c))
            for _ in 0..<3 { _ = t.trainStep() }
            let before = BufferPool.currentStatistics.allocated
            for _ in 0..<4 { _ = t.trainStep() }
            XCTAssertEqual(BufferPool.currentStatistics.allocated - before, 0, "buffers taken from the system by \(model)")
        }
    }
}
