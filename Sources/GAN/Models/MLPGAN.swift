/// The MNIST GAN of Goodfellow et al. 2014 (goodfeli/adversarial `mnist.yaml`).
///
/// - G: `z [N, 100] → ReLU 1200 → ReLU 1200 → sigmoid 784`, weights U(±0.05), biases 0, the output
///   bias set to logit(mean training pixel) by ``setOutputBias(meanPixel:)``.
/// - D: inverted dropout (keep 0.8) → maxout 240×5 → dropout (keep 0.5) → maxout 240×5 →
///   dropout (keep 0.5) → linear 1 (a logit); weights U(±0.005). Masks per example.
public final class MLPGAN: SigmoidOutputModel {
    public let generator: Module
    public let discriminator: Module
    let g: Sequential, d: Sequential
    let outputLayer: Linear
    public let latentShape: [Int]
    public let sampleShape: [Int]
    public var classCount: Int { 0 }
    public var pixelRange: PixelRange { .unit }

    public init(latentDimension: Int = 100, imageShape: [Int] = [1, 28, 28], hidden: Int = 1200,
                maxoutUnits: Int = 240, maxoutPieces: Int = 5, dropout: Bool = true, rng: RandomGenerator) {
        let pixels = imageShape.reduce(1, *)
        latentShape = [latentDimension]
        sampleShape = imageShape
        let output = Linear(hidden, pixels, rng: rng)
        outputLayer = output
        g = Sequential {
            Linear(latentDimension, hidden, rng: rng); ReLU()
            Linear(hidden, hidden, rng: rng); ReLU()
            output; Sigmoid()
            Reshape(imageShape)
        }
        // Dropout on the input of every D layer: keep 0.8 on the pixels, 0.5 on hidden units.
        var layers: [any Layer] = [Flatten()]
        if dropout { layers.append(Dropout(probability: 0.2, rng: rng)) }
        layers.append(Maxout(pixels, units: maxoutUnits, pieces: maxoutPieces, rng: rng))
        if dropout { layers.append(Dropout(probability: 0.5, rng: rng)) }
        layers.append(Maxout(maxoutUnits, units: maxoutUnits, pieces: maxoutPieces, rng: rng))
        if dropout { layers.append(Dropout(probability: 0.5, rng: rng)) }
        layers.append(Linear(maxoutUnits, 1, rng: rng))
        d = Sequential(layers)
        initializeUniform(g, bound: 0.05, rng: rng)
        initializeUniform(d, bound: 0.005, rng: rng)
        generator = g
        discriminator = d
    }

    /// Sets G's output bias to `logit(meanPixel)` clipped to [1e−7, 1 − 1e−7], as
    /// pylearn2's `init_sigmoid_bias_from_marginals`.
    public func setOutputBias(meanPixel: Tensor) {
        outputLayer.bias!.value = sigmoidBias(meanPixel: meanPixel)
    }

    public func generate(_ z: Variable, labels: [Int]?) -> Variable { g(z) }
    public func discriminate(_ x: Variable, labels: [Int]?) -> Variable { d(x).reshaped([-1]) }
}

/// A small MLP GAN for 2-D data (ring8, grid25): G `z → 128 → 128 → 2`, D `2 → 128 → 128 → 1`,
/// ReLU in G and LeakyReLU(0.2) in D, PyTorch default initialisation.
public final class ToyGAN: GANModel {
    public let generator: Module
    public let discriminator: Module
    let g: Sequential, d: Sequential
    public let latentShape: [Int]
    public var sampleShape: [Int] { [2] }
    public var classCount: Int { 0 }
    public var pixelRange: PixelRange { .unit }

    public init(latentDimension: Int = 2, hidden: Int = 128, dropout: Float = 0, rng: RandomGenerator) {
        latentShape = [latentDimension]
        g = Sequential {
            Linear(latentDimension, hidden, rng: rng); ReLU()
            Linear(hidden, hidden, rng: rng); ReLU()
            Linear(hidden, 2, rng: rng)
        }
        var layers: [any Layer] = [Linear(2, hidden, rng: rng), LeakyReLU(negativeSlope: 0.2)]
        if dropout > 0 { layers.append(Dropout(probability: dropout, rng: rng)) }
        layers += [Linear(hidden, hidden, rng: rng), LeakyReLU(negativeSlope: 0.2)] as [any Layer]
        if dropout > 0 { layers.append(Dropout(probability: dropout, rng: rng)) }
        layers.append(Linear(hidden, 1, rng: rng))
        d = Sequential(layers)
        generator = g
        discriminator = d
    }

    public func generate(_ z: Variable, labels: [Int]?) -> Variable { g(z) }
    public func discriminate(_ x: Variable, labels: [Int]?) -> Variable { d(x).reshaped([-1]) }
}

import Foundation
