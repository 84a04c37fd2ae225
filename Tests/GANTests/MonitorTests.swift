@testable import GAN
import XCTest

/// The alarm rules of ``AlarmMonitor``, each raised on the interval its doc comment names and not
/// one interval earlier.
final class MonitorTests: XCTestCase {
    /// A healthy interval: D unsure but not at a coin flip, no diversity measured.
    func record(accuracyReal: Float = 0.7, accuracyFake: Float = 0.7, dReal: Float = 0.7, dFake: Float = 0.3,
                lossG: Float = 1, diversity: Float? = nil, realDiversity: Float? = nil) -> MetricsRecord {
        var s = StepStatistics()
        s.accuracyReal = accuracyReal; s.accuracyFake = accuracyFake
        s.dReal = dReal; s.dFake = dFake
        s.lossD = 1; s.lossG = lossG
        var r = MetricsRecord(step: 0, epoch: 0, mean: s, seconds: 0)
        r.diversity = diversity
        r.realDiversity = realDiversity
        return r
    }

    func kinds(_ alarms: [RaisedAlarm]) -> [TrainingConfig.Alarm] { alarms.map(\.kind) }

    func testDWinsIsRaisedAfterPatienceIntervalsWhileGsLossClimbs() {
        var m = AlarmMonitor(patience: 3, logistic: true)
        XCTAssertEqual(kinds(m.check(record(accuracyReal: 0.99, accuracyFake: 0.99, lossG: 2))), [])
        XCTAssertEqual(kinds(m.check(record(accuracyReal: 0.99, accuracyFake: 0.98, lossG: 3))), [], "one interval early")
        XCTAssertEqual(kinds(m.check(record(accuracyReal: 0.99, accuracyFake: 0.99, lossG: 4))), [.dWins])
        XCTAssertEqual(kinds(m.check(record(accuracyReal: 0.99, accuracyFake: 0.99, lossG: 5))), [], "reported once, when it starts")

        // A streak broken by one interval starts again; and G's loss must have risen.
        var n = AlarmMonitor(patience: 3, logistic: true)
        _ = n.check(record(accuracyReal: 0.99, accuracyFake: 0.99, lossG: 2))
        _ = n.check(record(accuracyReal: 0.97, accuracyFake: 0.99, lossG: 3))
        _ = n.check(record(accuracyReal: 0.99, accuracyFake: 0.99, lossG: 4))
        XCTAssertEqual(kinds(n.check(record(accuracyReal: 0.99, accuracyFake: 0.99, lossG: 5))), [], "the streak restarted")
        XCTAssertEqual(kinds(n.check(record(accuracyReal: 0.99, accuracyFake: 0.99, lossG: 4))), [], "G's loss fell")
        XCTAssertEqual(kinds(n.check(record(accuracyReal: 0.99, accuracyFake: 0.99, lossG: 6))), [.dWins])
    }

    func testCoinFlipIsRaisedAfterThreeTimesPatienceIntervals() {
        let coin = record(accuracyReal: 0.5, accuracyFake: 0.45, dReal: 0.52, dFake: 0.48)
        var m = AlarmMonitor(patience: 2, logistic: true)
        for i in 1...5 { XCTAssertEqual(kinds(m.check(coin)), [], "interval \(i) of 6") }
        XCTAssertEqual(kinds(m.check(coin)), [.coinFlip])
        // D(x) 0.56 is not within 0.05 of ½: the streak restarts.
        _ = m.check(record(accuracyReal: 0.5, accuracyFake: 0.5, dReal: 0.56, dFake: 0.5))
        for i in 1...5 { XCTAssertEqual(kinds(m.check(coin)), [], "after the reset, interval \(i) of 6") }
        XCTAssertEqual(kinds(m.check(coin)), [.coinFlip])

        // Only for logistic losses, whose outputs are probabilities.
        var wasserstein = AlarmMonitor(patience: 2, logistic: false)
        for _ in 1...10 { XCTAssertEqual(kinds(wasserstein.check(coin)), []) }
    }

    func testModeCollapseIsRaisedOnTheSecondLowDiversityIntervalInARow() {
        var m = AlarmMonitor(patience: 10, logistic: true)
        let low = record(diversity: 0.29, realDiversity: 1), ok = record(diversity: 0.31, realDiversity: 1)
        XCTAssertEqual(kinds(m.check(low)), [], "once is not yet a collapse")
        XCTAssertEqual(kinds(m.check(ok)), [], "30% or more of the real diversity is fine")
        XCTAssertEqual(kinds(m.check(low)), [], "the streak restarted")
        XCTAssertEqual(kinds(m.check(low)), [.modeCollapse])
        XCTAssertEqual(kinds(m.check(low)), [], "reported once, when it starts")
        // Intervals without a diversity measurement neither count nor reset.
        var n = AlarmMonitor(patience: 10, logistic: true)
        _ = n.check(low)
        XCTAssertEqual(kinds(n.check(record())), [])
        XCTAssertEqual(kinds(n.check(low)), [.modeCollapse])
    }

    /// Within-class diversity: a generator that draws one image per label scores 0 however far
    /// apart its classes are (the overall measure, which missed a collapsed cgan, does not), and
    /// varied rows score the mean of each class's own mean pairwise distance.
    func testWithinClassDiversitySeesOneImagePerLabel() {
        // Two classes, two rows each: class 0 at (0, 0) twice, class 1 at (10, 0) twice.
        let collapsed = Tensor(shape: [4, 2], values: [0, 0, 10, 0, 0, 0, 10, 0])
        let labels = [0, 1, 0, 1]
        XCTAssertEqual(meanWithinClassPairwiseDistance(collapsed, labels: labels), 0)
        XCTAssertGreaterThan(meanPairwiseDistance(collapsed), 6)
        // Class 0 rows 3 apart, class 1 rows 4 apart; a lone class-2 row is skipped.
        let varied = Tensor(shape: [5, 2], values: [0, 0, 10, 0, 3, 0, 10, 4, 50, 50])
        XCTAssertEqual(meanWithinClassPairwiseDistance(varied, labels: [0, 1, 0, 1, 2]), 3.5, accuracy: 1e-6)
        XCTAssertEqual(meanPairwiseDistance(varied, rows: [1, 3]), 4, accuracy: 1e-6)
    }
}
