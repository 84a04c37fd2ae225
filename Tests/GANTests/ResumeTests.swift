@testable import GAN
import XCTest

/// Interrupt after k steps, resume from the run folder, and finish: the weights equal an
/// uninterrupted run's bit for bit.
final class ResumeTests: XCTestCase {
    func finalWeights(_ run: TrainingRun) -> [String: Tensor] {
        var w = [String: Tensor]()
        for (k, v) in run.trainer.model.generator.stateDict() { w["G." + k] = v }
        for (k, v) in run.trainer.model.discriminator.stateDict() { w["D." + k] = v }
        for (k, v) in run.trainer.optimizerD.stateTensors() { w["optD." + k] = v }
        return w
    }

    /// metrics.jsonl's records re-encoded without their wall-clock seconds.
    func metricsLines(_ run: TrainingRun) throws -> [String] {
        let text = try String(contentsOfFile: run.folder + "/metrics.jsonl", encoding: .utf8)
        let encoder = MetricsRecord.encoder()
        encoder.outputFormatting = .sortedKeys
        return try text.split(separator: "\n").map { line in
            var record = try MetricsRecord.decoder().decode(MetricsRecord.self, from: Data(line.utf8))
            record.seconds = 0
            return String(decoding: try encoder.encode(record), as: UTF8.self)
        }
    }

    func check(_ model: TrainingConfig.Model, update: TrainingConfig.Update, ema: Float = 0) throws {
        var c = smallConfig(model)
        c.update = update
        c.steps = 12
        c.logEvery = 4
        c.checkpointEvery = 5
        c.emaDecay = ema
        c.labelFlip = 0.1
        c.instanceNoise = 0.1
        let quiet: (String) -> Void = { _ in }

        let straight = try TrainingRun.start(config: c, folder: temporaryFolder(self), data: data(for: c), log: quiet)
        XCTAssertEqual(try straight.train(), .finished)

        let folder = temporaryFolder(self)
        let first = try TrainingRun.start(config: c, folder: folder, data: data(for: c), log: quiet)
        XCTAssertEqual(try first.train(maximumSteps: 7), .paused)
        XCTAssertEqual(first.trainer.step, 7)

        let resumed = try TrainingRun.resume(folder: folder, data: data(for: c), log: quiet)
        XCTAssertEqual(resumed.trainer.step, 7)
        XCTAssertEqual(try resumed.train(), .finished)
        XCTAssertEqual(resumed.trainer.step, 12)
        XCTAssertEqual(finalWeights(resumed), finalWeights(straight), "\(model) \(update)")
        // The pause at step 7 fell inside the logging interval 5…8: its line averages the same
        // four steps as the uninterrupted run's (the interval's sums travel in the checkpoint).
        XCTAssertEqual(try metricsLines(resumed), try metricsLines(straight), "\(model) \(update)")
        XCTAssertEqual(try metricsLines(straight).count, 3)
        if ema > 0 { XCTAssertEqual(resumed.trainer.ema!.generator.stateDict(), straight.trainer.ema!.generator.stateDict()) }
    }

    func testResumeIsBitExactForEveryModel() throws {
        try check(.dcgan, update: .alternating, ema: 0.9)
        try check(.mlp, update: .simultaneous)
        try check(.cdcgan, update: .alternating)
        try check(.toy, update: .alternating)
    }
}
