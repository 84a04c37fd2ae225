@testable import GAN
import Foundation
import GANTestSupport
import XCTest

/// Nothing a user trained is lost: kills, corrupt checkpoints, divergence and bad flags.
final class RobustnessTests: XCTestCase {
    /// The `gan` executable built beside the test bundle.
    func ganExecutable() throws -> String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("gan").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw XCTSkip("gan executable not found beside \(dir.path); build it with swift build")
    }

    /// Runs `gan` with `arguments`; returns its exit status (negative: killed by that signal) and output.
    @discardableResult
    func gan(_ arguments: [String], killAfter seconds: Double? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try ganExecutable())
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        var killed = false
        if let seconds {
            let deadline = Date().addingTimeInterval(seconds)
            while p.isRunning && Date() < deadline { usleep(5_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL); killed = true }
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let status = killed || p.terminationReason == .uncaughtSignal ? -p.terminationStatus : p.terminationStatus
        return (status, String(decoding: data, as: UTF8.self))
    }

    func weights(_ path: String) throws -> [String: Tensor] {
        try Checkpoint.read(path).tensors.filter { $0.key.hasPrefix("generator.") || $0.key.hasPrefix("discriminator.") || $0.key.hasPrefix("optimizer_") }
    }

    func testSIGKILLAtRandomMomentsThenResumeIsBitExact() throws {
        let base = ["train", "--model", "toy", "--dataset", "ring8", "--steps", "300", "--checkpoint-every", "3",
                    "--keep", "2", "--log-every", "20", "--seed", "9", "--width", "32"]
        let straight = temporaryFolder(self), killed = temporaryFolder(self)
        let started = Date()
        XCTAssertEqual(try gan(base + ["--out", straight]).status, 0)
        // Kill within 15–35% of an uninterrupted run's time, so attempts are cut short whatever the
        // machine's speed while still making progress; after 6 kills the run is let finish.
        let duration = Date().timeIntervalSince(started)
        let rng = RandomGenerator(seed: 2024)
        func killTime() -> Double { duration * (0.15 + 0.2 * Double(rng.nextUnitFloat())) }
        var attempt = try gan(base + ["--out", killed], killAfter: killTime())
        var kills = 0, killsAfterACheckpoint = 0
        while attempt.status != 0 {
            XCTAssertEqual(attempt.status, -SIGKILL, "a run may only end by finishing or by our kill: \(attempt.output)")
            kills += 1
            // Every checkpoint left behind must read and verify.
            let left = Checkpoint.stepFiles(in: killed + "/checkpoints")
            if !left.isEmpty { killsAfterACheckpoint += 1 }
            for (_, path) in left {
                XCTAssertNoThrow(try Checkpoint.read(path), "unreadable checkpoint after kill \(kills)")
            }
            XCTAssertLessThan(kills, 40, "the run never finished")
            if kills >= 40 { return }
            // Later attempts run to the end once enough kills have landed.
            attempt = try gan(["train", "--resume", killed], killAfter: kills < 6 ? killTime() : nil)
        }
        XCTAssertGreaterThanOrEqual(kills, 3, "the kills must land before the run ends")
        XCTAssertGreaterThanOrEqual(killsAfterACheckpoint, 2, "kills must land while training, not only at start-up")
        print("kill test: \(kills) kills, \(killsAfterACheckpoint) after training had checkpointed; straight run \(String(format: "%.2f", duration)) s")
        let final = Checkpoint.fileName(step: 300)
        XCTAssertEqual(try weights(killed + "/checkpoints/" + final), try weights(straight + "/checkpoints/" + final))
    }

    func testDivergenceRollsBackWithLowerLearningRatesOrStops() throws {
        for policy in TrainingConfig.DivergencePolicy.allCases {
            var c = smallConfig(.toy)
            c.steps = 20
            c.checkpointEvery = 5
            c.onDivergence = policy
            var messages = [String]()
            let run = try TrainingRun.start(config: c, folder: temporaryFolder(self), data: data(for: c), log: { messages.append($0) })
            XCTAssertEqual(try run.train(maximumSteps: 7), .paused)
            // Poison D: the next step's loss is NaN.
            run.trainer.model.discriminator.parameters[0].value = Tensor(shape: run.trainer.model.discriminator.parameters[0].shape, repeating: .nan)
            switch policy {
            case .rollback:
                XCTAssertEqual(try run.train(), .finished)
                XCTAssertTrue(messages.contains { $0.contains("DIVERGENCE") && $0.contains("Rolled back to step 7") }, "\(messages)")
                XCTAssertEqual(run.trainer.learningRateScale, 0.5)
                XCTAssertTrue(run.trainer.model.discriminator.parameters.allSatisfy { $0.value.isFinite })
            case .stop:
                XCTAssertThrowsError(try run.train()) { error in
                    XCTAssertTrue("\(error)".contains("non-finite") && "\(error)".contains("--on-divergence stop"), "\(error)")
                }
            }
        }
    }

    func testEachRollbackHalvesTheLearningRatesAgainAndAResumeKeepsThem() throws {
        var c = smallConfig(.toy)
        c.steps = 20
        c.checkpointEvery = 3
        let folder = temporaryFolder(self), clean = data(for: c)
        let run = try TrainingRun.start(config: c, folder: folder, data: clean, log: { _ in })
        XCTAssertEqual(try run.train(maximumSteps: 3), .paused)
        // Every batch of this data is NaN: each step diverges, and each rollback to step 3 replays it.
        let poisoned = TrainingData(samples: Tensor(shape: [clean.count, 2], repeating: .nan), labels: nil, classCount: 0,
                                    monitorSet: nil, mixture: clean.mixture)
        var messages = [String]()
        let diverging = try TrainingRun.resume(folder: folder, data: poisoned, log: { messages.append($0) })
        XCTAssertThrowsError(try diverging.train()) { XCTAssertTrue("\($0)".contains("rolled back 5 times"), "\($0)") }
        let scales = messages.filter { $0.hasPrefix("DIVERGENCE") }.compactMap { m in
            m.components(separatedBy: "(scale ").last.flatMap { Float($0.prefix { $0 != ")" }) }
        }
        XCTAssertEqual(scales, [0.5, 0.25, 0.125, 0.0625, 0.03125], "\(messages)")
        // The checkpoint rolled back to now holds the scale in force, so a resume keeps it.
        let resumed = try TrainingRun.resume(folder: folder, data: clean, log: { _ in })
        XCTAssertEqual(resumed.trainer.step, 3)
        XCTAssertEqual(resumed.trainer.learningRateScale, 0.03125)
    }

    func testANonFiniteStepRaisesItsAlarmAndStopOnNonFiniteStops() throws {
        for stop in [false, true] {
            var c = smallConfig(.toy)
            c.steps = 10
            c.checkpointEvery = 5
            c.logEvery = 5
            if stop { c.stopOn = [.nonFinite] }
            var messages = [String]()
            let run = try TrainingRun.start(config: c, folder: temporaryFolder(self), data: data(for: c), log: { messages.append($0) })
            XCTAssertEqual(try run.train(maximumSteps: 5), .paused)
            run.trainer.model.discriminator.parameters[0].value = Tensor(shape: run.trainer.model.discriminator.parameters[0].shape, repeating: .nan)
            let outcome = try run.train()
            XCTAssertTrue(messages.contains { $0.hasPrefix("ALARM non-finite") && $0.contains("step 6") }, "\(messages)")
            let text = try String(contentsOfFile: run.folder + "/metrics.jsonl", encoding: .utf8)
            let records = try text.split(separator: "\n").map { try MetricsRecord.decoder().decode(MetricsRecord.self, from: Data($0.utf8)) }
            let alarmed = records.filter { $0.alarms.contains("non-finite") }
            XCTAssertEqual(alarmed.map(\.step), [6], text)
            XCTAssertTrue(alarmed.first?.lossD.isNaN ?? false, text)
            if stop {
                XCTAssertEqual(outcome, .stoppedOnAlarm("non-finite"))
                XCTAssertFalse(messages.contains { $0.hasPrefix("DIVERGENCE") }, "\(messages)")
                // The diverged state is not checkpointed: a resume starts from the last good one.
                XCTAssertEqual(Checkpoint.latestValid(in: run.checkpointDirectory)?.state.step, 5)
            } else {
                XCTAssertEqual(outcome, .finished)
                XCTAssertTrue(messages.contains { $0.hasPrefix("DIVERGENCE") }, "\(messages)")
                // The alarm's line survives the rollback that drops the lines of steps being redone.
                XCTAssertEqual(records.map(\.step), [5, 6, 10], text)
            }
        }
    }

    func testPruningWithKeepOneSparesTheGoodCheckpointBehindAnUnreadableNewerOne() throws {
        var c = smallConfig(.toy)
        c.steps = 12
        c.checkpointEvery = 4
        c.keepCheckpoints = 1
        let run = try TrainingRun.start(config: c, folder: temporaryFolder(self), data: data(for: c), log: { _ in })
        XCTAssertEqual(try run.train(maximumSteps: 4), .paused)
        var corrupt = try Data(contentsOf: URL(fileURLWithPath: run.checkpointDirectory + "/" + Checkpoint.fileName(step: 4)))
        corrupt[corrupt.count - 3] ^= 0x40
        try corrupt.write(to: URL(fileURLWithPath: run.checkpointDirectory + "/" + Checkpoint.fileName(step: 8)))
        var log = [String]()
        let resumed = try TrainingRun.resume(folder: run.folder, data: data(for: c), log: { log.append($0) })
        XCTAssertTrue(log.contains { $0.contains("skipping unreadable checkpoint") }, "\(log)")
        XCTAssertEqual(resumed.trainer.step, 4)
        XCTAssertEqual(try resumed.train(maximumSteps: 2), .paused)
        // The checkpoint of step 6 replaced step 4's; the unreadable step 8 neither counted nor was deleted.
        XCTAssertEqual(Checkpoint.stepFiles(in: run.checkpointDirectory).map(\.step), [8, 6])
        XCTAssertEqual(Checkpoint.latestValid(in: run.checkpointDirectory)?.state.step, 6)
    }

    func testCorruptAndFutureCheckpointsAreRefusedByName() throws {
        var c = smallConfig(.toy)
        c.steps = 4
        c.checkpointEvery = 4
        let run = try TrainingRun.start(config: c, folder: temporaryFolder(self), data: data(for: c), log: { _ in })
        try run.train()
        let path = run.folder + "/checkpoints/" + Checkpoint.fileName(step: 4)
        XCTAssertNoThrow(try Checkpoint.read(path))
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        var flipped = good
        flipped[flipped.count - 3] ^= 0x40
        try flipped.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(path)) { XCTAssertTrue("\($0)".contains("checksum") && "\($0)".contains(path), "\($0)") }

        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(path)) { XCTAssertTrue("\($0)".contains(path), "\($0)") }

        let (tensors, metadata) = try SafeTensors.decode(Array(good), source: path)
        let json = metadata[Checkpoint.stateKey]!
        /// `json` with `old` replaced by `new`, which must occur in it.
        func edited(_ old: String, _ new: String) -> String {
            XCTAssertTrue(json.contains(old), "\(old) not in \(json)")
            return json.replacingOccurrences(of: old, with: new)
        }
        var future = metadata
        future[Checkpoint.stateKey] = edited("\"formatVersion\":\(CheckpointState.currentFormatVersion)", "\"formatVersion\":99")
        try SafeTensors.write(tensors, metadata: future, to: path)
        XCTAssertThrowsError(try Checkpoint.read(path)) { XCTAssertTrue("\($0)".contains("format version 99"), "\($0)") }

        // The checksum covers the state as well as the tensors: a changed step is corruption.
        var stepEdited = metadata
        stepEdited[Checkpoint.stateKey] = edited("\"step\":4", "\"step\":5")
        try SafeTensors.write(tensors, metadata: stepEdited, to: path)
        XCTAssertThrowsError(try Checkpoint.read(path)) { XCTAssertTrue("\($0)".contains("checksum mismatch") && "\($0)".contains(path), "\($0)") }

        // Version 1 (checksum over the tensors only, no interval statistics) is still read.
        var version1 = metadata
        version1[Checkpoint.stateKey] = edited("\"formatVersion\":\(CheckpointState.currentFormatVersion)", "\"formatVersion\":1")
        version1[Checkpoint.checksumKey] = String(Checkpoint.checksum(tensors, stateJSON: nil))
        try SafeTensors.write(tensors, metadata: version1, to: path)
        XCTAssertEqual(try Checkpoint.read(path).state.step, 4)
        // …and its checksum does not accept an edited state either way round.
        version1[Checkpoint.checksumKey] = String(Checkpoint.checksum(tensors, stateJSON: version1[Checkpoint.stateKey]!))
        try SafeTensors.write(tensors, metadata: version1, to: path)
        XCTAssertThrowsError(try Checkpoint.read(path)) { XCTAssertTrue("\($0)".contains("checksum mismatch"), "\($0)") }
        try SafeTensors.write(tensors, metadata: future, to: path)

        // A resume skips the unreadable newest checkpoint and reports it.
        var log = [String]()
        _ = try? TrainingRun.resume(folder: run.folder, data: data(for: c), log: { log.append($0) })
        XCTAssertTrue(log.contains { $0.contains("skipping unreadable checkpoint") }, "\(log)")
    }

    func testBadFlagsAndInputsExitCleanlyWithTheirNames() throws {
        let out = temporaryFolder(self)
        let cases: [([String], String)] = [
            (["train", "--model", "dcgan", "--update", "simultaneous", "--d-steps", "2", "--out", out], "--update simultaneous"),
            (["train", "--model", "dcgan", "--loss", "vanilla", "--out", out], "--loss"),
            (["train", "--model", "toy", "--dataset", "ring8", "--out", "/proc/swiftgan-cannot-write"], "/proc/swiftgan-cannot-write"),
            (["train", "--model", "dcgan", "--dataset", "folder:/nonexistent-images", "--out", out], "/nonexistent-images"),
            (["train", "--model", "cgan", "--dataset", "ring8", "--out", out], "conditional"),
            (["sample", "--run", "/nonexistent-run", "--out", out + "/x.png"], "/nonexistent-run"),
            (["train", "--resume", "/nonexistent-run"], "/nonexistent-run"),
            (["train", "--model", "toy", "--dataset", "ring8", "--train-limit=-1", "--out", out], "--train-limit: must be a positive number of training examples, got -1"),
            (["train", "--model", "toy", "--dataset", "ring8", "--train-limit", "0", "--out", out], "--train-limit: must be a positive number of training examples, got 0"),
            (["train", "--model", "dcgan", "--image-size", "48", "--out", out], "--image-size: dcgan builds 28, 32 or 64-pixel images, got 48"),
            (["train", "--model", "mlp", "--dataset", "folder:/nonexistent-images", "--image-size", "0", "--out", out], "--image-size: must be positive, got 0"),
            (["sample", "--run", "/nonexistent-run", "--columns", "0", "--out", out + "/x.png"], "--columns: must be positive, got 0"),
            (["interpolate", "--run", "/nonexistent-run", "--steps", "0", "--out", out + "/x.png"], "--steps: must be a positive number of points per walk, got 0"),
            (["interpolate", "--run", "/nonexistent-run", "--rows", "0", "--out", out + "/x.png"], "--rows: must be positive, got 0"),
            (["train", "--resume", "/nonexistent-run", "--lr-g", "0.001"], "--lr-g: cannot change a resumed run"),
            (["train", "--model", "mlp", "--d-dropout", "0.3", "--out", out], "--d-dropout: mlp's D has the dropout"),
            (["train", "--model", "dcgan", "--dataset", "folder:/nonexistent-images", "--channels", "2", "--out", out], "--channels: 1 (grey) or 3 (RGB) expected, got 2"),
            (["train", "--model", "dcgan", "--channels", "3", "--out", out], "--channels: applies to folder datasets"),
            (["train", "--resume", "/nonexistent-run", "--stop-on", "d-wins"], "--stop-on: cannot change a resumed run"),
            // Values the optimisers, schedules and model builders would otherwise trap on.
            (["train", "--lr-decay", "exponential", "--lr-decay-factor", "0.5", "--out", out], "--lr-decay-factor: must be a finite number ≥ 1"),
            (["train", "--beta1-g", "1.5", "--out", out], "--beta1-g: must be in [0, 1)"),
            (["train", "--beta2-d", "1", "--out", out], "--beta2-d: must be in [0, 1)"),
            (["train", "--lr-g", "nan", "--out", out], "--lr-g: must be a finite number ≥ 0, got nan"),
            (["train", "--instance-noise", "nan", "--out", out], "--instance-noise: must be a finite number ≥ 0, got nan"),
            (["train", "--width=-3", "--out", out], "--width: must be in 1...4096"),
            (["train", "--noise-dim", "99999999999999", "--out", out], "--noise-dim: must be in 1...65536"),
            (["train", "--dataset", "cifar10", "--image-size", "32", "--out", out], "--image-size: applies to folder datasets"),
            (["train", "--steps", "5", "--epochs", "2", "--out", out], "--steps/--epochs: give one of them, not both"),
            (["train", "--model", "toy", "--dataset", "ring8", "--epochs", "9223372036854775807", "--out", out + "/overflow"],
             "--epochs: 9223372036854775807 epochs of"),
            (["train", "--resume", "/nonexistent-run", "--steps", "5", "--epochs", "2"], "--steps/--epochs: give one of them, not both"),
            (["sample", "--run", "/nonexistent-run", "--out", out + "/x.txt"], "--out: expected a .npy or .png path"),
            (["interpolate", "--run", "/nonexistent-run", "--out", out + "/w.npy"], "--out: expected a .png path"),
            (["evaluate", "--run", "/nonexistent-run", "--labels", out + "/y.npy"], "--labels: goes with --samples"),
            (["evaluate", "--run", "/nonexistent-run", "--metrics", "fid", "--audit-image", out + "/a.png"], "--audit-image: shows the memorization audit"),
            (["classifier", "train", "--epochs=0"], "--epochs: must be in 1...1000, got 0"),
        ]
        for (arguments, expected) in cases {
            let (status, output) = try gan(arguments)
            XCTAssertEqual(status, 1, "\(arguments): a clean failure exits 1, got \(status)\n\(output)")
            XCTAssertTrue(output.contains("error") && output.contains(expected), "\(arguments) → \(output)")
        }
        // A start that failed on its data leaves no run folder behind.
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/overflow"))
        // A negative value after a flag is a value, not a flag.
        let (status, output) = try gan(["train", "--noise", "uniform", "--noise-low", "-1", "--noise-high", "1", "--print-config"])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("\"noiseLow\" : -1"), output)
    }

    /// Every option of `gan train` that configures a run (all but --out, --resume, --steps,
    /// --epochs and --data-dir, where the same data now lies), as `--help` lists them, is refused with --resume and named in the error: a
    /// new option cannot be forgotten, as --model was while it had a default.
    func testResumeRefusesEveryConfigurationOptionItLists() throws {
        let help = try gan(["train", "--help"]).output
        let runControl: Set = ["--out", "--resume", "--steps", "--epochs", "--data-dir", "--help", "--version"]
        var arguments = ["train", "--resume", "/nonexistent-run"]
        var configuration = [String]()
        for line in help.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let first = words.first, first.hasPrefix("--"), line.hasPrefix("  --"), !runControl.contains(String(first)) else { continue }
            configuration.append(String(first))
            arguments.append(String(first))
            if words.count > 1, words[1].hasPrefix("<") { arguments.append("1") }
        }
        XCTAssertGreaterThan(configuration.count, 35, help)
        XCTAssertTrue(configuration.contains("--model") && configuration.contains("--adaptive-l2"), "\(configuration)")
        let (status, output) = try gan(arguments)
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains("error: " + configuration.joined(separator: ", ") + ": cannot change a resumed run"), output)
    }

    /// Against a real (2-D) run: sample counts too large to hold are refused before any is drawn,
    /// non-positive ones too; an interpolation grid needs an image model; a resume's new length
    /// must lie ahead of the checkpoint; --data-dir is accepted with --resume and stored absolute.
    func testCommandsOnARunRefuseWhatTheyCannotDo() throws {
        let folder = temporaryFolder(self) + "/ring8"
        let trained = try gan(["train", "--model", "toy", "--dataset", "ring8", "--steps", "4", "--checkpoint-every", "4", "--out", folder])
        XCTAssertEqual(trained.status, 0, trained.output)
        let cases: [([String], String)] = [
            (["sample", "--run", folder, "--count", "99999999999999999", "--out", folder + "/x.npy"], "--count: 99999999999999999 samples of [2] floats would take more than 4 GiB"),
            (["evaluate", "--run", folder, "--count=-3"], "--count: must be positive, got -3"),
            (["sample", "--run", folder, "--out", folder + "/x.png"], "--out: PNG output needs image samples"),
            (["interpolate", "--run", folder, "--out", folder + "/w.png"], "--run: interpolation grids need an image model"),
            (["train", "--resume", folder, "--steps", "3"], "--steps: sets the run's total length, 3 steps, but \(folder) is already at step 4"),
        ]
        for (arguments, expected) in cases {
            let (status, output) = try gan(arguments)
            XCTAssertEqual(status, 1, "\(arguments): a clean failure exits 1, got \(status)\n\(output)")
            XCTAssertTrue(output.contains("error") && output.contains(expected), "\(arguments) → \(output)")
        }
        let config = try String(contentsOfFile: folder + "/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains("\"steps\" : 4"), "a refused resume rewrote config.json:\n\(config)")
        // A resume may say where the data now lies; config.json keeps it as an absolute path.
        let resumed = try gan(["train", "--resume", folder, "--steps", "6", "--data-dir", "moved/data"])
        XCTAssertEqual(resumed.status, 0, resumed.output)
        let extended = try String(contentsOfFile: folder + "/config.json", encoding: .utf8)
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertTrue(extended.contains("\"steps\" : 6") && extended.contains("\"dataDirectory\" : \"\((cwd as NSString).appendingPathComponent("moved/data"))"),
                      extended)
        // The 2-D run's evaluation is the mixture's, written as JSON.
        let (status, output) = try gan(["evaluate", "--run", folder, "--count", "200", "--json", folder + "/mixture.json"])
        XCTAssertEqual(status, 0, output)
        let report = try String(contentsOfFile: folder + "/mixture.json", encoding: .utf8)
        XCTAssertTrue(report.contains("\"modesCovered\"") && report.contains("\"modeCount\" : 8"), report)
    }

    /// A classifier below the evaluation protocol's 99% does not replace the one at `--out`: it is
    /// saved beside it, the command fails naming both files and both accuracies, and the old
    /// file is untouched; `--force` replaces it; with nothing at `--out` it is saved with a
    /// warning. (Trained on 640 images for speed: about 60% accuracy.)
    func testClassifierBelowProtocolDoesNotReplaceTheSavedOne() throws {
        guard let mnist = sharedMNISTDirectory() else { throw XCTSkip("MNIST not found beside the checkout") }
        let folder = temporaryFolder(self), out = folder + "/mnist-cnn.safetensors"
        let aside = folder + "/mnist-cnn.below-99.safetensors"
        let base = ["classifier", "train", "--epochs", "1", "--train-images", "640", "--out", out,
                    "--data-dir", (mnist as NSString).deletingLastPathComponent]
        let first = try gan(base)
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertTrue(first.output.contains("warning: test accuracy below the 99.0%"), first.output)
        let saved = try Data(contentsOf: URL(fileURLWithPath: out))

        let second = try gan(base + ["--seed", "2"])
        XCTAssertNotEqual(second.status, 0, second.output)
        XCTAssertTrue(second.output.contains("below the 99.0% the evaluation protocol asks for; kept the classifier at \(out) ("), second.output)
        XCTAssertTrue(second.output.contains("saved the new one to \(aside)") && second.output.contains("--force"), second.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), saved, "the saved classifier is untouched")
        let (_, asideAccuracy) = try FeatureClassifier.load(path: aside)
        XCTAssertLessThan(asideAccuracy, 0.99)

        let forced = try gan(base + ["--seed", "2", "--force"])
        XCTAssertEqual(forced.status, 0, forced.output)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: out)), saved, "--force replaces it")
        XCTAssertEqual(try FeatureClassifier.load(path: out).testAccuracy, asideAccuracy, "the same seed trains the same classifier")
    }
}
