@testable import GAN
import Foundation
import XCTest

/// Small synthetic image data (so the GAN tests need no dataset): `count` 28×28 "digits" made of
/// a bright bar whose position depends on the label, plus noise.
func syntheticImages(count: Int, range: PixelRange, seed: UInt64 = 11) -> TrainingData {
    let rng = RandomGenerator(seed: seed)
    var x = rng.uniform([count, 1, 28, 28], low: 0, high: 0.2)
    let labels = (0..<count).map { $0 % 10 }
    x.withUnsafeMutableBufferPointer { p in
        for (i, l) in labels.enumerated() { for r in 0..<28 { p[i * 784 + r * 28 + 2 + 2 * l] = 1 } }
    }
    return TrainingData(samples: range.fromUnit(x), labels: labels, classCount: 10,
                        monitorSet: x.slice(axis: 0, start: 0, length: min(count, 50)), mixture: nil)
}

/// A configuration small enough for a debug-build test: narrow DCGANs, few steps.
func smallConfig(_ model: TrainingConfig.Model, loss: GANLoss = .nonsaturating) -> TrainingConfig {
    var c = TrainingConfig.preset(model)
    c.loss = loss
    c.width = 4
    c.batchSize = 8
    c.steps = 3
    c.epochs = nil
    c.noiseDimension = model == .toy ? 2 : 8
    c.seed = 5
    return c
}

func data(for c: TrainingConfig) -> TrainingData {
    if c.model == .toy {
        let m = GaussianMixture2D.ring8
        return TrainingData(samples: m.sample(count: 512, rng: RandomGenerator(seed: 3)), labels: nil, classCount: 0, monitorSet: nil, mixture: m)
    }
    return syntheticImages(count: 64, range: c.model.pixelRange)
}

/// A fresh temporary folder, removed when the test ends.
func temporaryFolder(_ test: XCTestCase) -> String {
    let path = NSTemporaryDirectory() + "swiftgan-test-\(UUID().uuidString)"
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Parameters, buffers and optimizer state of one player.
func snapshot(_ module: Module, _ optimizer: Optimizer) -> [String: Tensor] {
    var s = module.stateDict()
    for (k, v) in optimizer.stateTensors() { s["opt." + k] = v }
    s["opt.steps"] = Tensor(scalar: Float(optimizer.stepCount))
    return s
}
