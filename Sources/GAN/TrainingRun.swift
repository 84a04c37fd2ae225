import Foundation

/// A training run and its folder:
///
///     RUN/config.json          every resolved setting, the seed and the version
///     RUN/metrics.jsonl        one ``MetricsRecord`` per logging interval
///     RUN/samples/epoch-NNN.png, final.png   fixed-noise grids (one row per class when conditional)
///     RUN/curves.png           losses and D outputs over time, redrawn at every log
///     RUN/checkpoints/step-NNNNNNNN.safetensors (the last K), best.safetensors
public final class TrainingRun {
    public let folder: String
    public let trainer: Trainer
    public var config: TrainingConfig { trainer.config }
    var alarms: AlarmMonitor
    var best: BestCheckpoint?
    var history: [MetricsRecord] = []
    /// The steps of the logging interval in progress (checkpointed: see ``StatisticsAccumulator``).
    var accumulator = StatisticsAccumulator()
    var rollbacks = 0
    let fixedNoise: Tensor, fixedLabels: [Int]?, gridColumns: Int
    let qualityNoise: Tensor, qualityLabels: [Int]?
    let realDiversity: Float?
    let log: (String) -> Void
    let progress: (String) -> Void

    var checkpointDirectory: String { folder + "/checkpoints" }
    var samplesDirectory: String { folder + "/samples" }

    init(folder: String, trainer: Trainer, log: @escaping (String) -> Void, progress: @escaping (String) -> Void) {
        self.folder = folder
        self.trainer = trainer
        self.log = log
        self.progress = progress
        alarms = AlarmMonitor(patience: trainer.config.alarmPatience, logistic: trainer.config.loss.isLogistic)
        // Monitoring draws from its own streams, never from the training generator.
        let monitorRNG = RandomGenerator(seed: trainer.config.seed &+ 0x6D6F_6E69)
        if trainer.model.isConditional {
            let classes = trainer.model.classCount
            fixedNoise = trainer.noise(classes * 10, rng: monitorRNG)
            fixedLabels = (0..<(classes * 10)).map { $0 / 10 }    // row r shows class r
            gridColumns = 10
        } else {
            fixedNoise = trainer.noise(64, rng: monitorRNG)
            fixedLabels = nil
            gridColumns = 8
        }
        let qualityCount = trainer.data.mixture == nil ? 1000 : 2500
        qualityNoise = trainer.noise(qualityCount, rng: monitorRNG)
        qualityLabels = trainer.model.isConditional ? (0..<qualityCount).map { $0 % trainer.model.classCount } : nil
        if trainer.model.isConditional, let labels = trainer.data.labels {
            // Conditional models: diversity within each class (10 real examples of each, the
            // first in the data), against the same measure of the fixed-noise grid's rows.
            var perClass = [Int: [Int]]()
            for (i, label) in labels.enumerated() where perClass[label, default: []].count < 10 {
                perClass[label, default: []].append(i)
                if perClass.count == trainer.model.classCount && perClass.values.allSatisfy({ $0.count == 10 }) { break }
            }
            let indices = perClass.keys.sorted().flatMap { perClass[$0]! }
            realDiversity = meanWithinClassPairwiseDistance(
                trainer.model.pixelRange.toUnit(trainer.data.gather(indices)), labels: indices.map { labels[$0] })
        } else {
            let realRows = trainer.data.gather(Array(0..<min(64, trainer.data.count)))
            realDiversity = meanPairwiseDistance(trainer.data.mixture == nil ? trainer.model.pixelRange.toUnit(realRows) : realRows)
        }
    }

    /// Starts a new run in `folder`, which must not hold another run. Checks the folder is
    /// writable and the data loads before any training.
    /// `data` replaces the configured dataset (for tests and for embedding SwiftGAN in a program).
    public static func start(config: TrainingConfig, folder: String, data: TrainingData? = nil,
                             log: @escaping (String) -> Void = { print($0) },
                             progress: @escaping (String) -> Void = { _ in }) throws -> TrainingRun {
        try config.validate()
        let fm = FileManager.default
        if fm.fileExists(atPath: folder + "/config.json") {
            throw RunError(path: folder, problem: "already holds a run; continue it with --resume \(folder) or choose another --out")
        }
        let existed = fm.fileExists(atPath: folder)
        try prepareWritableDirectory(folder)
        let trainer: Trainer
        do { trainer = try Trainer(config: config, data: data) } catch {
            // The data did not load: leave no empty run folder behind.
            if !existed { try? fm.removeItem(atPath: folder) }
            throw error
        }
        let run = TrainingRun(folder: folder, trainer: trainer, log: log, progress: progress)
        try run.createSubdirectories()
        let encoder = JSONEncoder.humanReadable()
        try DataFiles.writeAtomically(Array(try encoder.encode(config)), to: folder + "/config.json")
        try DataFiles.writeAtomically([], to: folder + "/metrics.jsonl")
        return run
    }

    /// Reopens a run from its folder and its newest valid checkpoint. `steps`/`epochs` replace the
    /// configured length (to extend a run); `dataDirectory` the folder the data is read from
    /// (the same data, moved). Either change is written to config.json.
    public static func resume(folder: String, steps: Int? = nil, epochs: Int? = nil, dataDirectory: String? = nil, data: TrainingData? = nil,
                              log: @escaping (String) -> Void = { print($0) },
                              progress: @escaping (String) -> Void = { _ in }) throws -> TrainingRun {
        if let steps, let epochs {
            throw ConfigError(field: "--steps/--epochs", problem: "give one of them, not both (\(steps) steps, \(epochs) epochs)")
        }
        let configPath = folder + "/config.json"
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw RunError(path: folder, problem: "no config.json: not a SwiftGAN run folder")
        }
        var config: TrainingConfig
        do { config = try JSONDecoder().decode(TrainingConfig.self, from: Data(contentsOf: URL(fileURLWithPath: configPath))) } catch {
            throw RunError(path: configPath, problem: "cannot be read as a training configuration: \(error)")
        }
        if let steps { config.steps = steps; config.epochs = nil }
        if let epochs { config.epochs = epochs; config.steps = nil }
        if let dataDirectory { config.dataDirectory = dataDirectory }
        try prepareWritableDirectory(folder)
        let trainer = try Trainer(config: config, data: data)
        let run = TrainingRun(folder: folder, trainer: trainer, log: log, progress: progress)
        try run.createSubdirectories()
        // A kill during an atomic write leaves its temporary file (".name.tmp-…"); the rename never
        // happened, so the file is garbage and the previous checkpoint is intact.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: run.checkpointDirectory)) ?? []
            where name.hasPrefix(".") && name.contains(".tmp-") {
            try? FileManager.default.removeItem(atPath: run.checkpointDirectory + "/" + name)
        }
        if let c = Checkpoint.latestValid(in: run.checkpointDirectory, warn: log) {
            // A new length is a new total, which must lie ahead (config.json is not yet rewritten).
            if steps != nil || epochs != nil, trainer.totalSteps <= c.state.step {
                throw ConfigError(
                    field: steps != nil ? "--steps" : "--epochs",
                    problem: "sets the run's total length, \(trainer.totalSteps) steps, but \(folder) is already at step \(c.state.step); give a larger total")
            }
            try run.restore(c.tensors, c.state, source: c.path)
            log("resumed \(folder) at step \(c.state.step) from \(c.path)")
        } else {
            log("no valid checkpoint in \(run.checkpointDirectory): starting \(folder) from step 0")
            try DataFiles.writeAtomically([], to: folder + "/metrics.jsonl")
        }
        if steps != nil || epochs != nil || dataDirectory != nil {
            let encoder = JSONEncoder.humanReadable()
            try DataFiles.writeAtomically(Array(try encoder.encode(config)), to: configPath)
        }
        return run
    }

    func restore(_ tensors: [String: Tensor], _ state: CheckpointState, source: String) throws {
        try Checkpoint.restore(trainer, from: (tensors, state), source: source)
        alarms = state.alarms
        accumulator = state.intervalStatistics ?? StatisticsAccumulator()
        if let q = state.bestQuality, let s = state.bestStep { best = BestCheckpoint(quality: q, step: s, collapsed: state.bestCollapsed ?? false) }
        // Keep the metrics written up to this checkpoint; later lines belong to steps being redone.
        let lines = (try? String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8))?.split(separator: "\n") ?? []
        // Lines of non-finite steps stay: they record what happened, not steps to redo.
        let decoder = MetricsRecord.decoder(), encoder = MetricsRecord.encoder()
        history = lines.compactMap { try? decoder.decode(MetricsRecord.self, from: Data($0.utf8)) }.filter { $0.step <= state.step || $0.isNonFiniteStep }
        let kept = history.compactMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined()
        try DataFiles.writeAtomically(Array(kept.utf8), to: folder + "/metrics.jsonl")
    }

    private func createSubdirectories() throws {
        for d in [checkpointDirectory, samplesDirectory] {
            do { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) } catch {
                throw RunError(path: d, problem: "cannot be created: \(error.localizedDescription)")
            }
        }
    }

    /// Creates `folder` if needed and proves it writable by writing and removing a probe file.
    static func prepareWritableDirectory(_ folder: String) throws {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw RunError(path: folder, problem: "cannot be created: \(error.localizedDescription)")
        }
        let probe = folder + "/.write-test-\(getpid())"
        guard FileManager.default.createFile(atPath: probe, contents: Data(repeating: 0, count: 4096)) else {
            throw RunError(path: folder, problem: "is not writable (or the disk is full)")
        }
        try? FileManager.default.removeItem(atPath: probe)
    }

    // MARK: The loop

    /// How a call to ``train(maximumSteps:)`` ended.
    public enum Outcome: Equatable, Sendable {
        case finished
        /// Stopped after `maximumSteps` (a simulated interruption, for tests).
        case paused
        /// Stopped on an alarm named in `--stop-on`.
        case stoppedOnAlarm(String)
    }

    /// Trains until the configured length, an alarm in `--stop-on`, or `maximumSteps` more steps.
    @discardableResult
    public func train(maximumSteps: Int? = nil) throws -> Outcome {
        let t = trainer
        let start = Date()
        let startStep = t.step
        var lastEpoch = t.data.epoch
        while t.step < t.totalSteps {
            if let m = maximumSteps, t.step - startStep >= m { try saveCheckpoint(); return .paused }
            let s = t.trainStep()
            if s.nonFinite {
                accumulator = StatisticsAccumulator()
                if try raiseNonFinite(s, seconds: Date().timeIntervalSince(start)) { return .stoppedOnAlarm(TrainingConfig.Alarm.nonFinite.rawValue) }
                try handleDivergence(s)
                continue
            }
            accumulator.add(s)
            let elapsed = Date().timeIntervalSince(start)
            let done = t.step - startStep
            progress(progressLine(s, elapsed: elapsed, done: done))
            if t.data.epoch != lastEpoch {
                lastEpoch = t.data.epoch
                try writeGrid(String(format: "%@/epoch-%03d.png", samplesDirectory, lastEpoch))
            }
            if t.step % config.logEvery == 0 || t.step == t.totalSteps {
                var record = MetricsRecord(step: t.step, epoch: t.data.epoch, mean: accumulator.take(), seconds: elapsed)
                record.diversity = sampleDiversity()
                record.realDiversity = realDiversity
                let raised = alarms.check(record)
                record.alarms = raised.map(\.kind.rawValue)
                try appendMetrics(record)
                for a in raised { log(a.description) }
                if let stop = raised.first(where: { config.stopOn.contains($0.kind) }) {
                    try saveCheckpoint()
                    log("stopping on alarm \(stop.kind.rawValue) (--stop-on); the run can be continued with --resume \(folder)")
                    return .stoppedOnAlarm(stop.kind.rawValue)
                }
            }
            if t.step % config.checkpointEvery == 0 || t.step == t.totalSteps { try saveCheckpoint() }
        }
        try writeGrid(samplesDirectory + "/final.png")
        return .finished
    }

    private func progressLine(_ s: StepStatistics, elapsed: Double, done: Int) -> String {
        let t = trainer
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = Double(t.totalSteps - t.step) / max(rate, 1e-9)
        return String(format: "step %d/%d  epoch %d  loss D %.3f G %.3f  D(x) %.3f D(G(z)) %.3f  %.1f it/s  ETA %@",
                      t.step, t.totalSteps, t.data.epoch + 1, s.lossD, s.lossG, s.dReal, s.dFake, rate, formatDuration(eta))
    }

    private func appendMetrics(_ r: MetricsRecord) throws {
        history.append(r)
        let line = String(decoding: try MetricsRecord.encoder().encode(r), as: UTF8.self) + "\n"
        let path = folder + "/metrics.jsonl"
        guard let handle = FileHandle(forWritingAtPath: path) else { throw RunError(path: path, problem: "cannot be opened for appending") }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
        try writeCurves()
    }

    /// Redraws curves.png from the metrics so far (without the lines of non-finite steps).
    func writeCurves() throws {
        let history = history.filter { !$0.isNonFiniteStep }
        let steps = history.map { Double($0.step) }
        func series(_ name: String, _ color: Int, _ value: (MetricsRecord) -> Float) -> PlotSeries {
            PlotSeries(name: name, points: zip(steps, history.map { Double(value($0)) }).map { (x: $0, y: $1) }, color: LinePlot.palette[color])
        }
        let panels = [
            PlotPanel(title: "losses", series: [series("loss D", 0, \.lossD), series("loss G", 1, \.lossG)]),
            PlotPanel(title: "D outputs", series: [series("D(x)", 2, \.dReal), series("D(G(z))", 3, \.dFake)], yRange: 0...1),
            PlotPanel(title: "D accuracy", series: [series("real", 4, \.accuracyReal), series("fake", 5, \.accuracyFake)], yRange: 0...1),
        ]
        try LinePlot.writePNG(panels: panels, path: folder + "/curves.png")
    }

    /// The diversity of fixed-noise samples that the mode-collapse alarm compares with
    /// `realDiversity`: for conditional models within each class (the whole grid, 10 per class),
    /// otherwise among the first 64.
    func sampleDiversity() -> Float {
        if let labels = fixedLabels {
            return meanWithinClassPairwiseDistance(trainer.sample(z: fixedNoise, labels: labels), labels: labels)
        }
        return meanPairwiseDistance(trainer.sample(z: fixedNoise.slice(axis: 0, start: 0, length: 64), labels: nil))
    }

    /// Whether the fixed-noise samples read as collapsed now (``AlarmMonitor/isCollapsed(diversity:realDiversity:)``),
    /// from the diversity logged at this step when there is one (checkpoint steps are usually
    /// logging steps, and the weights have not changed since), else measured.
    func samplesAreCollapsed() -> Bool {
        guard let realDiversity else { return false }
        let logged = history.last.flatMap { $0.step == trainer.step && !$0.isNonFiniteStep ? $0.diversity : nil }
        return AlarmMonitor.isCollapsed(diversity: logged ?? sampleDiversity(), realDiversity: realDiversity)
    }

    /// The fixed-noise grid (one row per class for conditional models; a scatter for 2-D data).
    func writeGrid(_ path: String) throws {
        if let mixture = trainer.data.mixture {
            try ScatterPlot.writePNG(points: trainer.sample(z: qualityNoise, labels: nil), reference: mixture, path: path)
        } else {
            try ImageGrid.writePNG(images: trainer.sample(z: fixedNoise, labels: fixedLabels), columns: gridColumns, path: path)
        }
    }

    /// The cheap quality signal that picks the best checkpoint (higher is better): for images the
    /// Parzen-window log-likelihood of 500 held-out images under 1000 fixed-noise samples with
    /// σ = 0.2 (the 2014 code's own monitor channel); for 2-D data modes covered + the fraction of
    /// high-quality samples.
    public func measureQuality() -> Double {
        let samples = trainer.sample(z: qualityNoise, labels: qualityLabels)
        if let mixture = trainer.data.mixture {
            let e = mixture.evaluate(samples)
            return Double(e.modesCovered) + Double(e.highQualityFraction)
        }
        guard let validation = trainer.data.monitorSet else { return 0 }
        let d = validation.count / validation.shape[0]
        let ll = ParzenWindow.logLikelihoods(points: validation.reshaped([-1, d]), centers: samples.reshaped([-1, d]), sigma: 0.2)
        return ll.reduce(0, +) / Double(ll.count)
    }

    /// Saves the current state as a step checkpoint (and as best.safetensors when it is the best
    /// so far, by ``BestCheckpoint/replaces(_:)``), then removes step checkpoints beyond the last
    /// `keepCheckpoints`.
    ///
    /// Only checkpoints of this step and earlier are counted and pruned: a file of a later step is
    /// one that resume or rollback skipped (corrupt, or a newer format), and counting it would
    /// delete the good checkpoints behind it (with `--keep 1`, all of them). Those are left alone;
    /// the checkpoint just written is always kept.
    public func saveCheckpoint() throws {
        let t = trainer
        let candidate = BestCheckpoint(quality: measureQuality(), step: t.step, collapsed: samplesAreCollapsed())
        let isBest = candidate.replaces(best)
        if isBest { best = candidate }
        let state = CheckpointState(
            step: t.step, epoch: t.data.epoch, cursor: t.data.cursor, rngState: t.rng.stateWords.map(String.init),
            optimizerStepsG: t.optimizerG.stepCount, optimizerStepsD: t.optimizerD.stepCount, l2Lambda: t.l2Lambda,
            learningRateScale: t.learningRateScale, alarms: alarms, intervalStatistics: accumulator, bestQuality: best?.quality, bestStep: best?.step,
            bestCollapsed: best?.collapsed, quality: candidate.quality, config: t.config, sampleShape: t.data.sampleShape, classCount: t.data.classCount)
        try Checkpoint.save(t, state: state, to: checkpointDirectory + "/" + Checkpoint.fileName(step: t.step))
        if isBest { try Checkpoint.save(t, state: state, to: checkpointDirectory + "/best.safetensors") }
        for old in Checkpoint.stepFiles(in: checkpointDirectory).filter({ $0.step <= t.step }).dropFirst(config.keepCheckpoints) {
            try? FileManager.default.removeItem(atPath: old.path)
        }
    }

    /// A step with a non-finite loss or gradient (no update was applied) raises the `non-finite`
    /// alarm: logged, and written to metrics.jsonl as a line of its own (kept when the run rolls
    /// back). Returns true when `--stop-on non-finite` asks to stop: then no checkpoint is written
    /// (this state is the one that diverged) and a resume continues from the last good checkpoint.
    func raiseNonFinite(_ s: StepStatistics, seconds: Double) throws -> Bool {
        var record = MetricsRecord(step: trainer.step + 1, epoch: trainer.data.epoch, mean: s, seconds: seconds)
        let alarm = AlarmMonitor.nonFiniteAlarm(record)
        record.alarms = [alarm.kind.rawValue]
        try appendMetrics(record)
        log(alarm.description)
        guard config.stopOn.contains(.nonFinite) else { return false }
        log("stopping on alarm non-finite (--stop-on) at step \(trainer.step + 1) without checkpointing it; --resume \(folder) continues from the last good checkpoint")
        return true
    }

    /// A non-finite loss or gradient: roll back to the newest valid checkpoint with the learning
    /// rates halved from those in force (`--on-divergence rollback`, at most 5 times in one
    /// process) or stop (`stop`). Each rollback halves again: restoring resets the scale to the
    /// checkpoint's, and since the random stream is restored too, the same scale would replay the
    /// same divergence. The checkpoint is rewritten with the new scale, so a resume keeps it.
    func handleDivergence(_ s: StepStatistics) throws {
        let what = "non-finite values at step \(trainer.step + 1) (loss D \(s.lossD), loss G \(s.lossG), gradient norms D \(s.gradNormD), G \(s.gradNormG))"
        guard config.onDivergence == .rollback else {
            throw TrainingError.diverged("\(what); stopping (--on-divergence stop). The last good checkpoint is in \(checkpointDirectory)")
        }
        guard rollbacks < 5, let c = Checkpoint.latestValid(in: checkpointDirectory, warn: log) else {
            throw TrainingError.diverged("\(what); \(rollbacks < 5 ? "no checkpoint to roll back to" : "rolled back 5 times already"), stopping")
        }
        rollbacks += 1
        let scale = trainer.learningRateScale * 0.5
        try restore(c.tensors, c.state, source: c.path)
        trainer.learningRateScale = scale
        try saveCheckpoint()
        log("DIVERGENCE: \(what). Rolled back to step \(c.state.step) (\(c.path)) with learning rates halved (scale \(trainer.learningRateScale))")
    }
}

public struct RunError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

public enum TrainingError: Error, CustomStringConvertible {
    case diverged(String)
    public var description: String {
        switch self { case .diverged(let m): return m }
    }
}

/// `1h02m`, `3m07s`, `12s`.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return "\(s)s"
}

/// The checkpoint kept as best.safetensors: its quality signal (``TrainingRun/measureQuality()``),
/// its step, and whether its fixed-noise samples were collapsed (the `mode-collapse` alarm's
/// reading, ``AlarmMonitor/isCollapsed(diversity:realDiversity:)``).
struct BestCheckpoint: Equatable {
    var quality: Double
    var step: Int
    var collapsed: Bool

    /// Whether this checkpoint takes the place of `best`: one whose samples are not collapsed
    /// beats one whose samples are, whatever their qualities; between two alike, the higher
    /// quality wins; a non-finite quality never does.
    ///
    /// The quality signal alone rewards blur. A 10-epoch `cgan` run (with U(±√3) noise) kept
    /// step 500 as its best: one blurred mean image for every label (Parzen −80 nats at σ = 0.2),
    /// against −383 for step 5,000's varied digits, so `gan evaluate` scored a generator that
    /// had barely started (1 class of 10 recognised, against 5 at step 5,000).
    func replaces(_ best: BestCheckpoint?) -> Bool {
        guard quality.isFinite else { return false }
        guard let best else { return true }
        if collapsed != best.collapsed { return !collapsed }
        return quality > best.quality
    }
}
