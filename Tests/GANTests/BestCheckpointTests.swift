@testable import GAN
import XCTest

/// Which checkpoint becomes best.safetensors: a generator whose samples are collapsed never
/// displaces one whose samples are not, even when the quality signal (Parzen at σ = 0.2, which
/// rewards blur) rates it higher.
final class BestCheckpointTests: XCTestCase {
    func testDiverseBeatsCollapsedWhateverTheQualityAndAlikeCompareByQuality() {
        func c(_ quality: Double, collapsed: Bool) -> BestCheckpoint { BestCheckpoint(quality: quality, step: 0, collapsed: collapsed) }
        XCTAssertTrue(c(-500, collapsed: false).replaces(nil))
        XCTAssertTrue(c(-500, collapsed: true).replaces(nil))
        XCTAssertFalse(c(.nan, collapsed: false).replaces(nil))
        XCTAssertFalse(c(.infinity, collapsed: false).replaces(c(-500, collapsed: true)))
        // Diverse against collapsed, both ways, with the quality pointing the other way.
        XCTAssertTrue(c(-500, collapsed: false).replaces(c(-80, collapsed: true)))
        XCTAssertFalse(c(-80, collapsed: true).replaces(c(-500, collapsed: false)))
        // Alike: the higher quality wins; a tie keeps the earlier.
        XCTAssertTrue(c(-100, collapsed: false).replaces(c(-200, collapsed: false)))
        XCTAssertFalse(c(-200, collapsed: false).replaces(c(-100, collapsed: false)))
        XCTAssertTrue(c(-100, collapsed: true).replaces(c(-200, collapsed: true)))
        XCTAssertFalse(c(-100, collapsed: false).replaces(c(-100, collapsed: false)))
    }

    /// Through a run: a constant generator (every weight 0, so every sample is the output bias's
    /// mean image) scores a higher quality than a varied one, yet the varied one stays best, and
    /// a resumed run still knows its best was not collapsed.
    func testACollapsedGeneratorDoesNotDisplaceADiverseBestAcrossAResume() throws {
        var config = smallConfig(.mlp)
        config.steps = 10
        let folder = temporaryFolder(self)
        let run = try TrainingRun.start(config: config, folder: folder, data: data(for: config), log: { _ in })
        let generator = run.trainer.model.generator
        let trained = generator.parameters.map(\.value)
        func makeConstant() {
            for p in generator.parameters where p.value.rank == 2 { p.value = Tensor(zeros: p.shape) }
        }
        func makeVaried() {
            let rng = RandomGenerator(seed: 7)
            for (p, v) in zip(generator.parameters, trained) { p.value = v.rank == 2 ? rng.normal(p.shape, mean: 0, std: 1) : v }
        }

        run.trainer.trainStep()
        makeConstant()
        try run.saveCheckpoint()
        XCTAssertEqual(run.best, BestCheckpoint(quality: run.best!.quality, step: 1, collapsed: true))
        let constantQuality = run.best!.quality

        run.trainer.trainStep()
        makeVaried()
        try run.saveCheckpoint()
        XCTAssertEqual(run.best?.step, 2, "a varied generator replaces a collapsed best")
        XCTAssertEqual(run.best?.collapsed, false)
        let variedQuality = run.best!.quality
        // The premise: the signal alone would have kept the constant generator.
        XCTAssertGreaterThan(constantQuality, variedQuality)

        run.trainer.trainStep()
        makeConstant()
        try run.saveCheckpoint()
        XCTAssertEqual(run.best?.step, 2, "a collapsed generator of higher quality does not replace a varied best")

        let resumed = try TrainingRun.resume(folder: folder, data: data(for: config), log: { _ in })
        XCTAssertEqual(resumed.trainer.step, 3)
        XCTAssertEqual(resumed.best, BestCheckpoint(quality: variedQuality, step: 2, collapsed: false))
        let best = try TrainedGenerator(run: folder, checkpoint: "best")
        XCTAssertEqual(best.step, 2)
    }
}
