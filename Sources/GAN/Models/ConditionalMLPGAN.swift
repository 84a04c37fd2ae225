/// The conditional MNIST GAN of Mirza & Osindero 2014.
///
/// - G: `z [N,100] → ReLU 200` and `one-hot y → ReLU 1000`, concatenated (1200) `→ ReLU 1200 →
///   sigmoid 784`, with dropout 0.5 on G's hidden layers (the paper puts dropout in both players).
/// - D: `x → maxout 240×5` and `y → maxout 50×5`, concatenated (290) `→ maxout 240×4 → logit`,
///   dropout 0.5 on the hidden inputs (0.2 on the pixels).
/// Weights U(±0.005) in D and U(±0.05) in G as the 2014 GAN; the paper gives no initialisation.
public final class ConditionalMLPGAN: SigmoidOutputModel {
    public let generator: Module
    public let discriminator: Module
    public let latentShape: [Int]
    public let sampleShape: [Int]
    public let classCount: Int
    public var pixelRange: PixelRange { .unit }

    final class Generator: Module {
        let noise: Linear, label: Linear, joint: Linear, output: Linear
        let dropout: Dropout
        let imageShape: [Int]
        init(latent: Int, classes: Int, imageShape: [Int], rng: RandomGenerator) {
            noise = Linear(latent, 200, rng: rng)
            label = Linear(classes, 1000, rng: rng)
            joint = Linear(1200, 1200, rng: rng)
            output = Linear(1200, imageShape.reduce(1, *), rng: rng)
            dropout = Dropout(probability: 0.5, rng: rng)
            self.imageShape = imageShape
        }
        func callAsFunction(_ z: Variable, _ y: Variable) -> Variable {
            let h = concat([noise(z).relu(), label(y).relu()], axis: 1)
            let h2 = joint(dropout(h)).relu()
            return output(dropout(h2)).sigmoid().reshaped([z.shape[0]] + imageShape)
        }
    }

    final class Discriminator: Module {
        let image: Maxout, label: Maxout, joint: Maxout, output: Linear
        let inputDropout: Dropout, hiddenDropout: Dropout
        init(pixels: Int, classes: Int, rng: RandomGenerator) {
            image = Maxout(pixels, units: 240, pieces: 5, rng: rng)
            label = Maxout(classes, units: 50, pieces: 5, rng: rng)
            joint = Maxout(290, units: 240, pieces: 4, rng: rng)
            output = Linear(240, 1, rng: rng)
            inputDropout = Dropout(probability: 0.2, rng: rng)
            hiddenDropout = Dropout(probability: 0.5, rng: rng)
        }
        func callAsFunction(_ x: Variable, _ y: Variable) -> Variable {
            let h = concat([image(inputDropout(x.flattened())), label(y)], axis: 1)
            return output(hiddenDropout(joint(hiddenDropout(h)))).reshaped([-1])
        }
    }

    let g: Generator, d: Discriminator

    public init(latentDimension: Int = 100, classes: Int = 10, imageShape: [Int] = [1, 28, 28], rng: RandomGenerator) {
        latentShape = [latentDimension]
        sampleShape = imageShape
        classCount = classes
        g = Generator(latent: latentDimension, classes: classes, imageShape: imageShape, rng: rng)
        d = Discriminator(pixels: imageShape.reduce(1, *), classes: classes, rng: rng)
        initializeUniform(g, bound: 0.05, rng: rng)
        initializeUniform(d, bound: 0.005, rng: rng)
        generator = g
        discriminator = d
    }

    public func setOutputBias(meanPixel: Tensor) {
        g.output.bias!.value = sigmoidBias(meanPixel: meanPixel)
    }

    public func generate(_ z: Variable, labels: [Int]?) -> Variable {
        g(z, Variable(oneHot(labels!, classes: classCount)))
    }

    public func discriminate(_ x: Variable, labels: [Int]?) -> Variable {
        d(x, Variable(oneHot(labels!, classes: classCount)))
    }
}

import Foundation
