import Foundation

/// One line of `metrics.jsonl`: averages over a logging interval, plus the checks made at its end.
public struct MetricsRecord: Codable, Sendable {
    public var step: Int
    public var epoch: Int
    public var lossD: Float, lossG: Float
    public var accuracyReal: Float, accuracyFake: Float
    public var dReal: Float, dFake: Float, dFakeAfter: Float
    public var gradNormD: Float, gradNormG: Float
    public var lrD: Float, lrG: Float
    public var l2: Float
    /// Mean pairwise distance of the fixed-noise samples and of a fixed real batch.
    public var diversity: Float?
    public var realDiversity: Float?
    public var seconds: Double
    public var alarms: [String]

    init(step: Int, epoch: Int, mean s: StepStatistics, seconds: Double) {
        self.step = step; self.epoch = epoch
        lossD = s.lossD; lossG = s.lossG
        accuracyReal = s.accuracyReal; accuracyFake = s.accuracyFake
        dReal = s.dReal; dFake = s.dFake; dFakeAfter = s.dFakeAfter
        gradNormD = s.gradNormD; gradNormG = s.gradNormG
        lrD = s.lrD; lrG = s.lrG; l2 = s.l2
        self.seconds = seconds
        alarms = []
    }

    /// metrics.jsonl's encoding: JSON numbers, except that non-finite values (only on the line of
    /// a step that raised `non-finite`) are the strings "NaN", "Infinity" and "-Infinity".
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }

    /// Whether this is the line of a step with non-finite values (not an average over an interval).
    var isNonFiniteStep: Bool { alarms.contains(TrainingConfig.Alarm.nonFinite.rawValue) }
}

/// Averages ``StepStatistics`` over a logging interval. Checkpointed with the run, so the first
/// interval after a resume averages the same steps as an uninterrupted run's.
struct StatisticsAccumulator: Codable, Sendable {
    private var sum = StepStatistics(), count = 0
    mutating func add(_ s: StepStatistics) {
        count += 1
        sum.lossD += s.lossD; sum.lossG += s.lossG
        sum.accuracyReal += s.accuracyReal; sum.accuracyFake += s.accuracyFake
        sum.dReal += s.dReal; sum.dFake += s.dFake; sum.dFakeAfter += s.dFakeAfter
        sum.gradNormD += s.gradNormD; sum.gradNormG += s.gradNormG
        sum.lrD = s.lrD; sum.lrG = s.lrG; sum.l2 = s.l2
    }
    mutating func take() -> StepStatistics {
        let n = Float(max(count, 1))
        var m = sum
        m.lossD /= n; m.lossG /= n; m.accuracyReal /= n; m.accuracyFake /= n
        m.dReal /= n; m.dFake /= n; m.dFakeAfter /= n; m.gradNormD /= n; m.gradNormG /= n
        self = StatisticsAccumulator()
        return m
    }
}

/// An alarm raised while watching training, with what to do about it.
public struct RaisedAlarm: Sendable, CustomStringConvertible {
    public let kind: TrainingConfig.Alarm
    public let message: String
    public let remedy: String
    public var description: String { "ALARM \(kind.rawValue): \(message). Remedy: \(remedy)" }
}

/// The alarm rules and their memory (checkpointed with the run).
///
/// - `d-wins`: D classifies ≥ 98% of both real and fake correctly for `patience` intervals in a row
///   while G's loss climbs: G gets no useful gradient.
/// - `coin-flip`: D(x) and D(G(z)) both within 0.05 of ½ and accuracies near chance for
///   3·`patience` intervals: D's feedback has become noise.
/// - `mode-collapse`: the fixed-noise samples' mean pairwise distance is below 30% of a real
///   batch's, twice in a row.
/// - `non-finite`: a loss or gradient norm is NaN or infinite (raised by the training loop for
///   each such step, which applies no update, before the divergence guard acts).
public struct AlarmMonitor: Codable, Sendable {
    var dWinsStreak = 0
    var dWinsStartLossG: Float = 0
    var coinFlipStreak = 0
    var collapseStreak = 0
    var active: Set<String> = []
    let patience: Int
    let logistic: Bool

    public init(patience: Int, logistic: Bool) {
        self.patience = patience
        self.logistic = logistic
    }

    /// True when samples whose mean pairwise distance is `diversity` count as collapsed against
    /// real data's `realDiversity`: below 30% of it (the `mode-collapse` alarm's reading, which
    /// the best checkpoint also consults).
    public static func isCollapsed(diversity: Float, realDiversity: Float) -> Bool {
        realDiversity > 0 && diversity < 0.3 * realDiversity
    }

    /// The `non-finite` alarm for a record holding a NaN or infinite loss or gradient norm. Raised
    /// for every such step: training never averages over one (no update is applied).
    public static func nonFiniteAlarm(_ r: MetricsRecord) -> RaisedAlarm {
        RaisedAlarm(kind: .nonFinite, message: "loss D \(r.lossD), loss G \(r.lossG), gradient norms \(r.gradNormD)/\(r.gradNormG) at step \(r.step)",
                    remedy: "lower the learning rates; the divergence guard rolls back to the last good checkpoint")
    }

    /// Updates the streaks with `record`; returns the alarms that are newly raised.
    public mutating func check(_ r: MetricsRecord) -> [RaisedAlarm] {
        var raised = [TrainingConfig.Alarm: RaisedAlarm]()
        let finite = [r.lossD, r.lossG, r.gradNormD, r.gradNormG].allSatisfy(\.isFinite)
        if !finite { raised[.nonFinite] = AlarmMonitor.nonFiniteAlarm(r) }
        if r.accuracyReal >= 0.98 && r.accuracyFake >= 0.98 {
            if dWinsStreak == 0 { dWinsStartLossG = r.lossG }
            dWinsStreak += 1
        } else { dWinsStreak = 0 }
        if dWinsStreak >= patience && r.lossG > dWinsStartLossG {
            raised[.dWins] = RaisedAlarm(kind: .dWins, message: "D has separated real from fake (accuracy \(pct(r.accuracyReal)) real, \(pct(r.accuracyFake)) fake) for \(dWinsStreak) intervals while G's loss rose to \(r.lossG)",
                                         remedy: "lower D's learning rate (--lr-d), smooth real labels (--real-label 0.9), add instance noise (--instance-noise 0.1) or D dropout, or take more G steps (--g-steps 2)")
        }
        if logistic && abs(r.dReal - 0.5) < 0.05 && abs(r.dFake - 0.5) < 0.05 && abs(r.accuracyReal - 0.5) < 0.15 && abs(r.accuracyFake - 0.5) < 0.15 {
            coinFlipStreak += 1
        } else { coinFlipStreak = 0 }
        if coinFlipStreak >= 3 * patience {
            raised[.coinFlip] = RaisedAlarm(kind: .coinFlip, message: "D(x) \(r.dReal) and D(G(z)) \(r.dFake) have stayed at a coin flip for \(coinFlipStreak) intervals: D's feedback is noise",
                                            remedy: "stop here (the best checkpoint is kept) or lower both learning rates")
        }
        if let d = r.diversity, let real = r.realDiversity, Self.isCollapsed(diversity: d, realDiversity: real) { collapseStreak += 1 } else if r.diversity != nil { collapseStreak = 0 }
        if collapseStreak >= 2, let d = r.diversity, let real = r.realDiversity {
            raised[.modeCollapse] = RaisedAlarm(kind: .modeCollapse, message: "fixed-noise samples are nearly alike (mean pairwise distance \(d) vs \(real) for real data)",
                                                remedy: "roll back to the best checkpoint, lower G's learning rate, add label smoothing or instance noise, or use the hinge or least-squares loss")
        }
        // Report an alarm when it starts; it may be reported again after it has cleared.
        let now = Set(raised.keys.map(\.rawValue))
        defer { active = now }
        return raised.values.filter { !active.contains($0.kind.rawValue) }.sorted { $0.kind.rawValue < $1.kind.rawValue }
    }
}

private func pct(_ x: Float) -> String { String(format: "%.1f%%", 100 * x) }

/// The mean over classes of ``meanPairwiseDistance(_:)`` among the rows of `x` labelled with
/// that class (classes with fewer than two rows are skipped). A conditional generator that draws
/// one image per label has 0 here, while its rows' overall distance stays that of ten different
/// digits: the overall measure missed exactly that collapse in a 100-epoch `cgan` run.
public func meanWithinClassPairwiseDistance(_ x: Tensor, labels: [Int]) -> Float {
    require(labels.count == x.shape[0], "meanWithinClassPairwiseDistance: \(labels.count) labels for \(x.shape[0]) rows")
    let rowsOfClass = Dictionary(grouping: labels.indices, by: { labels[$0] }).filter { $0.value.count > 1 }
    guard !rowsOfClass.isEmpty else { return 0 }
    let distances = rowsOfClass.keys.sorted().map { meanPairwiseDistance(x, rows: rowsOfClass[$0]!) }
    return distances.reduce(0, +) / Float(distances.count)
}

/// Mean pairwise Euclidean distance between the rows of `x` (flattened), or between the rows
/// listed in `rows`, in Double.
public func meanPairwiseDistance(_ x: Tensor, rows: [Int]? = nil) -> Float {
    let d = x.count / max(x.shape[0], 1)
    let rows = rows ?? Array(0..<x.shape[0])
    let n = rows.count
    guard n > 1 else { return 0 }
    let p = x.pointer
    var total = 0.0
    for a in 0..<n { for b in (a + 1)..<n {
        let i = rows[a], j = rows[b]
        var s = 0.0
        for k in 0..<d { let diff = Double(p[i * d + k] - p[j * d + k]); s += diff * diff }
        total += s.squareRoot()
    } }
    return Float(total / Double(n * (n - 1) / 2))
}
