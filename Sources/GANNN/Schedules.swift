/// A learning rate (or momentum) as a function of the number of steps taken.
public protocol Schedule {
    func value(atStep step: Int) -> Float
}

/// A constant.
public struct ConstantSchedule: Schedule {
    public let rate: Float
    public init(_ rate: Float) { self.rate = rate }
    public func value(atStep step: Int) -> Float { rate }
}

/// Per-step exponential decay with a floor, pylearn2's `ExponentialDecay` (the 2014 GAN):
/// `rate(t) = max(initial / factorᵗ, minimum)`.
public struct ExponentialDecaySchedule: Schedule {
    public let initial: Float, factor: Double, minimum: Float
    public init(initial: Float, factor: Double, minimum: Float) {
        require(factor >= 1, "ExponentialDecaySchedule: factor \(factor) must be ≥ 1 (rate(t) = initial / factorᵗ)")
        self.initial = initial
        self.factor = factor
        self.minimum = minimum
    }
    public func value(atStep step: Int) -> Float {
        max(Float(Double(initial) / Foundation.pow(factor, Double(step))), minimum)
    }
}

/// Constant until `start`, then linear to `final` at `end`, constant after (DCGAN's "100 epochs at
/// the initial rate, then linear decay to 0"; also a linear ramp when `final > initial`).
public struct LinearDecaySchedule: Schedule {
    public let initial: Float, final: Float, start: Int, end: Int
    public init(initial: Float, final: Float = 0, start: Int, end: Int) {
        require(end > start, "LinearDecaySchedule: end \(end) must be after start \(start)")
        self.initial = initial
        self.final = final
        self.start = start
        self.end = end
    }
    public func value(atStep step: Int) -> Float {
        if step <= start { return initial }
        if step >= end { return final }
        let f = Float(step - start) / Float(end - start)
        return initial + (final - initial) * f
    }
}

import Foundation
