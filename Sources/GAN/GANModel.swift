@_exported import GANNN

/// The range of a generator's output pixels (and so of the real data it is shown).
public enum PixelRange: String, Codable, Sendable {
    /// [0, 1], a sigmoid output (the 2014 GAN, the conditional GAN).
    case unit
    /// [−1, 1], a tanh output (DCGAN).
    case symmetric

    /// Maps one value in [0, 1] to this range: `2v − 1` for ``symmetric``.
    @inlinable
    public func value(fromUnit v: Float) -> Float { self == .symmetric ? v * 2 - 1 : v }
    /// Maps data in [0, 1] to this range, as ``value(fromUnit:)``. Consumes `x`: when no other
    /// tensor shares its storage (a freshly loaded data set), the values are mapped in place.
    public func fromUnit(_ x: consuming Tensor) -> Tensor {
        var y = consume x
        if self == .symmetric { y.update(value(fromUnit:)) }
        return y
    }
    /// Maps this range back to [0, 1].
    public func toUnit(_ x: Tensor) -> Tensor { self == .unit ? x : (x + 1) * 0.5 }
}

/// A generator and a discriminator that play one game.
///
/// `generate` maps noise `z: [N] + latentShape` (and labels, for conditional models) to samples
/// `[N] + sampleShape`; `discriminate` maps samples (and labels) to one logit per sample, `[N]`.
public protocol GANModel: AnyObject {
    var generator: Module { get }
    var discriminator: Module { get }
    /// Shape of one noise vector, e.g. `[100]` or `[100, 1, 1]`.
    var latentShape: [Int] { get }
    /// Shape of one sample, e.g. `[1, 28, 28]` or `[2]`.
    var sampleShape: [Int] { get }
    /// Number of classes for conditional models; 0 when unconditional.
    var classCount: Int { get }
    var pixelRange: PixelRange { get }
    func generate(_ z: Variable, labels: [Int]?) -> Variable
    func discriminate(_ x: Variable, labels: [Int]?) -> Variable
}

/// A model whose generator ends in a sigmoid: its output bias starts at logit(mean pixel).
public protocol SigmoidOutputModel: GANModel {
    func setOutputBias(meanPixel: Tensor)
}

extension GANModel {
    public var isConditional: Bool { classCount > 0 }

    /// Samples `[N] + sampleShape` in the model's pixel range from noise `z: [N] + latentShape`
    /// (and `labels`, N of them, for conditional models), recording no graph and generating
    /// `batchSize` at a time: at most `batchSize` images' activations exist at once (a DCGAN
    /// generator holds about 0.4 MB of them per image). Batch norm must be in evaluation mode
    /// for the result not to depend on `batchSize`.
    public func generate(_ z: Tensor, labels: [Int]?, batchSize: Int) -> Tensor {
        let n = z.shape[0]
        require(batchSize > 0, "generate: batchSize \(batchSize) must be positive")
        require(labels == nil || labels!.count == n, "generate: \(labels?.count ?? 0) labels for \(n) noise vectors")
        if n == 0 { return Tensor(zeros: [0] + sampleShape) }
        // One batch: the noise and the labels as they are, no copies.
        if n <= batchSize { return withoutGradients { generate(Variable(z), labels: labels).value } }
        var parts = [Tensor]()
        for start in stride(from: 0, to: n, by: batchSize) {
            let length = min(batchSize, n - start)
            let zPart = z.slice(axis: 0, start: start, length: length)
            let labelPart = labels.map { Array($0[start..<(start + length)]) }
            parts.append(withoutGradients { generate(Variable(zPart), labels: labelPart).value })
        }
        return Tensor.concatenate(parts, axis: 0)
    }
}

/// One-hot rows `[N, classes]` for labels.
public func oneHot(_ labels: [Int], classes: Int) -> Tensor {
    var t = Tensor(zeros: [labels.count, classes])
    t.withUnsafeMutableBufferPointer { p in
        for (i, l) in labels.enumerated() {
            require(l >= 0 && l < classes, "oneHot: label \(l) outside 0..<\(classes)")
            p[i * classes + l] = 1
        }
    }
    return t
}

/// One-hot label maps `[N, classes, h, w]` (channel `label` is all ones), for conditional convolutions.
public func oneHotMaps(_ labels: [Int], classes: Int, height: Int, width: Int) -> Tensor {
    oneHot(labels, classes: classes).reshaped([labels.count, classes, 1, 1]).broadcast(to: [labels.count, classes, height, width])
}

/// Re-initialises parameters the DCGAN way: conv and linear weights N(0, 0.02), batch-norm
/// weights N(1, 0.02), every bias 0 (pytorch/examples `weights_init`).
public func initializeDCGAN(_ module: Module, rng: RandomGenerator) {
    module.forEachModule { m in
        switch m {
        case let c as Conv2d: c.weight.value = rng.normal(c.weight.shape, std: 0.02); c.bias?.value = Tensor(zeros: c.bias!.shape)
        case let c as ConvTranspose2d: c.weight.value = rng.normal(c.weight.shape, std: 0.02); c.bias?.value = Tensor(zeros: c.bias!.shape)
        case let l as Linear: l.weight.value = rng.normal(l.weight.shape, std: 0.02); l.bias?.value = Tensor(zeros: l.bias!.shape)
        case let b as BatchNorm:
            if let w = b.weight { w.value = rng.normal(w.shape, mean: 1, std: 0.02) }
            if let bias = b.bias { bias.value = Tensor(zeros: bias.shape) }
        default: break
        }
    }
}

/// Re-initialises every linear/maxout weight U(−bound, bound) and bias 0 (pylearn2's `irange`).
public func initializeUniform(_ module: Module, bound: Float, rng: RandomGenerator) {
    module.forEachModule { m in
        switch m {
        case let l as Linear: l.weight.value = rng.uniform(l.weight.shape, low: -bound, high: bound); l.bias?.value = Tensor(zeros: l.bias!.shape)
        case let l as Maxout: l.weight.value = rng.uniform(l.weight.shape, low: -bound, high: bound); l.bias.value = Tensor(zeros: l.bias.shape)
        default: break
        }
    }
}

/// `logit(p)` of each mean training pixel, clipped to [1e−7, 1 − 1e−7], flattened: the output bias
/// that makes an untrained sigmoid generator produce the mean image (pylearn2's
/// `init_sigmoid_bias_from_marginals`).
public func sigmoidBias(meanPixel: Tensor) -> Tensor {
    meanPixel.reshaped([-1]).map { p in
        let q = Swift.min(Swift.max(p, 1e-7), 1 - 1e-7)
        return Foundation.log(q / (1 - q))
    }
}

import Foundation
