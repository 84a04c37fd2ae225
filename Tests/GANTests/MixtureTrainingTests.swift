@testable import GAN
import XCTest

/// End to end on ring8: a short run covers the modes without collapsing (the usual definitions:
/// a mode is covered when some sample lies within 3σ of it; a sample is high quality when it does).
final class MixtureTrainingTests: XCTestCase {
    func testRing8CoversAtLeastSevenModes() throws {
        var c = TrainingConfig.preset(.toy)
        c.seed = 3
        c.checkpointEvery = 250
        let run = try TrainingRun.start(config: c, folder: temporaryFolder(self), log: { _ in })
        XCTAssertEqual(try run.train(), .finished)
        // The best checkpoint (kept by the run's quality signal), sampled with fresh noise.
        let best = try TrainedGenerator(run: run.folder, checkpoint: "best")
        let samples = best.generate(z: best.noise(2500, rng: RandomGenerator(seed: 99)), labels: nil)
        let (modes, quality) = GaussianMixture2D.ring8.evaluate(samples)
        print("ring8, best of \(c.steps!) steps (step \(best.step)): \(modes)/8 modes, \(quality) high-quality")
        XCTAssertGreaterThanOrEqual(modes, 7)
        // Seeds 1–6, with OpenBLAS's or oneDNN's sgemm (which round differently and so train
        // differently): 8/8 modes every time, high-quality fraction 0.38–0.72 at the best
        // checkpoint. The bar says "on the modes, not smeared along the ring" without depending
        // on the lucky seed (a bar of 0.5 failed for 3 of those 12 runs).
        XCTAssertGreaterThanOrEqual(quality, 0.3)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.folder + "/samples/final.png"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.folder + "/curves.png"))
    }
}
