/// DCGAN (Radford et al. 2015): strided convolutions, batch norm except on G's output and D's
/// input, ReLU and tanh in G, LeakyReLU(0.2) in D, weights N(0, 0.02), no biases.
///
/// - 28×28 (the dcgan28 workload): G `z [N,100,1,1] → ConvT k7 → 256×7×7 → ConvT k4s2p1 → 128×14×14
///   → ConvT k4s2p1 → C×28×28`; D the mirror image ending in a k7 convolution to one logit.
/// - 32×32 and 64×64: G from `z` by ConvT k4 to 4×4, then k4s2p1 up-sampling steps; D mirrors it
///   (pytorch/examples dcgan, with `ngf = ndf = width`).
/// `dDropout > 0` adds dropout after each LeakyReLU of D.
public final class DCGAN: GANModel {
    public let generator: Module
    public let discriminator: Module
    let g: Sequential, d: Sequential
    public let latentShape: [Int]
    public let sampleShape: [Int]
    public var classCount: Int { 0 }
    public var pixelRange: PixelRange { .symmetric }

    public init(latentDimension: Int = 100, channels: Int = 1, size: Int = 28, width: Int = 64,
                dDropout: Float = 0, rng: RandomGenerator) {
        require([28, 32, 64].contains(size), "DCGAN: image size \(size) not supported (28, 32 or 64)")
        latentShape = [latentDimension, 1, 1]
        sampleShape = [channels, size, size]
        (g, d) = DCGAN.layers(latent: latentDimension, inChannels: 0, channels: channels, size: size, width: width,
                              dDropout: dDropout, rng: rng)
        initializeDCGAN(g, rng: rng)
        initializeDCGAN(d, rng: rng)
        generator = g
        discriminator = d
    }

    /// The two stacks; `inChannels` extra input channels on both (label maps for cDCGAN).
    static func layers(latent: Int, inChannels extra: Int, channels: Int, size: Int, width: Int,
                       dDropout: Float, rng: RandomGenerator) -> (Sequential, Sequential) {
        func lrelu() -> [any Layer] {
            var l: [any Layer] = [LeakyReLU(negativeSlope: 0.2)]
            if dDropout > 0 { l.append(Dropout(probability: dDropout, rng: rng)) }
            return l
        }
        if size == 28 {
            let g = Sequential {
                ConvTranspose2d(latent + extra, 4 * width, kernelSize: 7, bias: false, rng: rng); BatchNorm2d(4 * width); ReLU()
                ConvTranspose2d(4 * width, 2 * width, kernelSize: 4, stride: 2, padding: 1, bias: false, rng: rng); BatchNorm2d(2 * width); ReLU()
                ConvTranspose2d(2 * width, channels, kernelSize: 4, stride: 2, padding: 1, bias: false, rng: rng); Tanh()
            }
            var dl: [any Layer] = [Conv2d(channels + extra, width, kernelSize: 4, stride: 2, padding: 1, bias: false, rng: rng)]
            dl += lrelu()
            dl += [Conv2d(width, 2 * width, kernelSize: 4, stride: 2, padding: 1, bias: false, rng: rng), BatchNorm2d(2 * width)] as [any Layer]
            dl += lrelu()
            dl.append(Conv2d(2 * width, 1, kernelSize: 7, bias: false, rng: rng))
            return (g, Sequential(dl))
        }
        // 32 → 3 up-sampling steps after 4×4; 64 → 4.
        let steps = size == 32 ? 3 : 4
        var gl: [any Layer] = []
        var ch = width << (steps - 1)
        gl += [ConvTranspose2d(latent + extra, ch, kernelSize: 4, bias: false, rng: rng), BatchNorm2d(ch), ReLU()] as [any Layer]
        for _ in 0..<(steps - 1) {
            gl += [ConvTranspose2d(ch, ch / 2, kernelSize: 4, stride: 2, padding: 1, bias: false, rng: rng), BatchNorm2d(ch / 2), ReLU()] as [any Layer]
            ch /= 2
        }
        gl += [ConvTranspose2d(ch, channels, kernelSize: 4, stride: 2, padding: 1, bias: false, rng: rng), Tanh()] as [any Layer]
        var dl: [any Layer] = [Conv2d(channels + extra, width, kernelSize: 4, stride: 2, padding: 1, bias: false, rng: rng)]
        dl += lrelu()
        ch = width
        for _ in 0..<(steps - 1) {
            dl += [Conv2d(ch, ch * 2, kernelSize: 4, stride: 2, padding: 1, bias: false, rng: rng), BatchNorm2d(ch * 2)] as [any Layer]
            dl += lrelu()
            ch *= 2
        }
        dl += [Conv2d(ch, 1, kernelSize: 4, bias: false, rng: rng)]
        return (Sequential(gl), Sequential(dl))
    }

    public func generate(_ z: Variable, labels: [Int]?) -> Variable { g(z) }
    public func discriminate(_ x: Variable, labels: [Int]?) -> Variable { d(x).reshaped([-1]) }
}

/// Conditional DCGAN: the one-hot label is concatenated to `z` as extra channels in G and to the
/// image as constant label maps in D (the input-concatenation of Mirza & Osindero, applied to the
/// DCGAN stacks above).
public final class ConditionalDCGAN: GANModel {
    public let generator: Module
    public let discriminator: Module
    let g: Sequential, d: Sequential
    public let latentShape: [Int]
    public let sampleShape: [Int]
    public let classCount: Int
    public var pixelRange: PixelRange { .symmetric }

    public init(latentDimension: Int = 100, classes: Int = 10, channels: Int = 1, size: Int = 28, width: Int = 64,
                dDropout: Float = 0, rng: RandomGenerator) {
        latentShape = [latentDimension, 1, 1]
        sampleShape = [channels, size, size]
        classCount = classes
        (g, d) = DCGAN.layers(latent: latentDimension, inChannels: classes, channels: channels, size: size, width: width,
                              dDropout: dDropout, rng: rng)
        initializeDCGAN(g, rng: rng)
        initializeDCGAN(d, rng: rng)
        generator = g
        discriminator = d
    }

    public func generate(_ z: Variable, labels: [Int]?) -> Variable {
        let y = oneHot(labels!, classes: classCount).reshaped([z.shape[0], classCount, 1, 1])
        return g(concat([z, Variable(y)], axis: 1))
    }

    public func discriminate(_ x: Variable, labels: [Int]?) -> Variable {
        let maps = oneHotMaps(labels!, classes: classCount, height: x.shape[2], width: x.shape[3])
        return d(concat([x, Variable(maps)], axis: 1)).reshaped([-1])
    }
}
