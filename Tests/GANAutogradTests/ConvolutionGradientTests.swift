import GANAutograd
import GANTestSupport
import XCTest

final class ConvolutionGradientTests: XCTestCase {
    func testConv2dMatchesDirectDefinition() {
        let rng = RandomGenerator(seed: 30)
        for (stride, padding, kernel) in [((1, 1), (0, 0), (3, 3)), ((2, 2), (1, 1), (4, 4)), ((2, 1), (1, 2), (3, 2))] {
            let x = rng.normal([2, 3, 7, 6]), w = rng.normal([4, 3, kernel.0, kernel.1])
            let y = conv2d(Variable(x), weight: Variable(w), stride: stride, padding: padding).value
            assertClose(y, referenceConv2d(x, w, stride: stride, padding: padding), rtol: 1e-4, atol: 1e-4)
        }
    }

    /// Layers oneDNN runs (channels in multiples of 16) share converted activations between a
    /// pass and its pullback's two passes; their gradients must match im2col + GEMM's, for a
    /// convolution and a transposed one, and again for a second seed on the same graph (the
    /// pullbacks run twice; the second run converts afresh what the first run's weight-gradient
    /// passes dropped).
    func testWideLayerGradientsMatchIm2colWithSharedConversions() {
        let rng = RandomGenerator(seed: 36)
        let x = Variable(rng.normal([3, 16, 9, 9]), requiresGradient: true)
        let w = Variable(rng.normal([32, 16, 4, 4]), requiresGradient: true)
        let wT = Variable(rng.normal([32, 16, 4, 4]), requiresGradient: true)
        let seeds = (0..<2).map { _ in rng.normal([3, 16, 8, 8]) }
        assertOneDNNMatchesIm2col {
            // [3, 16, 9, 9] → conv → [3, 32, 4, 4] → transposed conv → [3, 16, 8, 8]
            let y = convTranspose2d(conv2d(x, weight: w, stride: (2, 2), padding: (1, 1)), weight: wT, stride: (2, 2), padding: (1, 1))
            return seeds.flatMap { seed in gradients(of: y, wrt: [x, w, wT], seed: seed).map(\.value) }
        }
    }

    /// A gradient penalty through wide layers: the first backward pass is recorded
    /// (`createGraph`), so its passes share the layers' converted activations and are then
    /// differentiated again. The penalty's weight gradients must match im2col + GEMM's.
    func testGradientPenaltyThroughWideLayersMatchesIm2col() {
        let rng = RandomGenerator(seed: 37)
        let x = Variable(rng.normal([2, 16, 9, 9]), requiresGradient: true)
        let w1 = Variable(rng.normal([32, 16, 4, 4]) * 0.2, requiresGradient: true)
        let w2 = Variable(rng.normal([16, 32, 3, 3]) * 0.2, requiresGradient: true)
        assertOneDNNMatchesIm2col {
            let h = conv2d(x, weight: w1, stride: (2, 2), padding: (1, 1)).leakyRelu(slope: 0.2)
            let out = conv2d(h, weight: w2, padding: (1, 1)).sum()
            let gx = gradients(of: out, wrt: [x], createGraph: true)[0]
            return gradients(of: (gx * gx).sum(), wrt: [w1, w2]).map(\.value)
        }
    }

    /// The same with the first backward pass taken with respect to the weights too, over a
    /// batch of 35 (two parts on oneDNN): the recorded backward nodes then carry the layers'
    /// converted-activation records, which the first pass's weight-gradient passes already
    /// dropped, into the second backward pass (that a kept copy is never reused for another
    /// tensor is tested on the kernels, in OneDNNConvolutionTests). Every gradient of the
    /// penalty must match im2col + GEMM's within 1e-5 of its largest element. Its elements span five decades, so that
    /// tolerance is relative to the tensor, not per element: the two kernels' rounding differs
    /// by about 1e-6 of the largest, with AVX-512 and AVX2 alike. (The network has no
    /// activation: a LeakyReLU input near 0 that rounds to the other side on one backend would
    /// change the second-order terms by more than rounding.)
    func testGradientPenaltyOnWeightsThroughWideLayersMatchesIm2col() {
        let rng = RandomGenerator(seed: 38)
        let x = Variable(rng.normal([35, 16, 7, 7]), requiresGradient: true)
        let w1 = Variable(rng.normal([32, 16, 4, 4]) * 0.2, requiresGradient: true)
        let w2 = Variable(rng.normal([32, 16, 4, 4]) * 0.2, requiresGradient: true)
        func penaltyGradients(oneDNN: Bool) -> [Tensor] {
            let saved = ConvolutionKernels.useOneDNN
            defer { ConvolutionKernels.useOneDNN = saved }
            ConvolutionKernels.useOneDNN = oneDNN
            // [35, 16, 7, 7] → conv → [35, 32, 3, 3] → transposed conv → [35, 16, 6, 6]
            let h = conv2d(x, weight: w1, stride: (2, 2), padding: (1, 1))
            let out = convTranspose2d(h, weight: w2, stride: (2, 2), padding: (1, 1)).sum()
            let squares = gradients(of: out, wrt: [x, w1, w2], createGraph: true).map { ($0 * $0).sum() }
            return gradients(of: squares.dropFirst().reduce(squares[0], +), wrt: [x, w1, w2]).map(\.value)
        }
        for (got, expected) in zip(penaltyGradients(oneDNN: true), penaltyGradients(oneDNN: false)) {
            let scale = expected.scalars.map { abs($0) }.max() ?? 0
            let worst = zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
            XCTAssertGreaterThan(scale, 0)
            XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "shape \(expected.shape)")
        }
    }

    /// `compute` through oneDNN's kernels and again through im2col + GEMM: each of its tensors
    /// must agree within 1e-3 (the switch is restored afterwards).
    private func assertOneDNNMatchesIm2col(_ compute: () -> [Tensor], file: StaticString = #filePath, line: UInt = #line) {
        let saved = (ConvolutionKernels.useOneDNN, ConvolutionKernels.useWinograd)
        defer { (ConvolutionKernels.useOneDNN, ConvolutionKernels.useWinograd) = saved }
        ConvolutionKernels.useWinograd = false
        ConvolutionKernels.useOneDNN = true
        let viaOneDNN = compute()
        ConvolutionKernels.useOneDNN = false
        let reference = compute()
        for (got, expected) in zip(viaOneDNN, reference) { assertClose(got, expected, rtol: 1e-3, atol: 1e-3, file: file, line: line) }
    }

    func testConv2dGradientsOddSizesStrideAndPadding() {
        for (stride, padding) in [((1, 1), (0, 0)), ((2, 2), (1, 1)), ((2, 3), (2, 0))] {
            let x = randomVariable([2, 3, 7, 5], seed: 31)
            let w = randomVariable([4, 3, 3, 3], seed: 32)
            let b = randomVariable([4], seed: 33)
            assertGradientsMatchFiniteDifferences(wrt: [x, w, b], "stride \(stride) padding \(padding)") {
                conv2d(x, weight: w, bias: b, stride: stride, padding: padding)
            }
        }
    }

    /// Layers with channel counts in multiples of 16 run on oneDNN where it is linked: the same
    /// finite-difference check through its kernels, and the same through im2col + GEMM.
    func testWideConvolutionGradientsOnEitherBackend() {
        let g = Conv2dGeometry(batch: 2, inChannels: 16, inHeight: 5, inWidth: 6, outChannels: 16,
                               kernel: (3, 2), stride: (2, 1), padding: (1, 0))
        let saved = ConvolutionKernels.useOneDNN
        defer { ConvolutionKernels.useOneDNN = saved }
        for useOneDNN in [true, false] {
            ConvolutionKernels.useOneDNN = useOneDNN
            let kernel = ConvolutionKernels.implementation(of: g).backwardWeight
            XCTAssertEqual(kernel == "im2col+gemm", !(useOneDNN && ConvolutionKernels.oneDNNAvailable), kernel)
            XCTAssertFalse(kernel.hasPrefix("ref"), "oneDNN's slow reference kernel: \(kernel)")
            let x = randomVariable(g.inputShape, seed: 48), w = randomVariable(g.weightShape, seed: 49)
            assertGradientsMatchFiniteDifferences(wrt: [x, w], "conv2d, oneDNN \(useOneDNN)") {
                conv2d(x, weight: w, stride: (2, 1), padding: (1, 0))
            }
            // The transposed layer runs the same three kernels in other roles.
            let y = randomVariable(g.outputShape, seed: 50)
            assertGradientsMatchFiniteDifferences(wrt: [y, w], "convTranspose2d, oneDNN \(useOneDNN)") {
                convTranspose2d(y, weight: w, stride: (2, 1), padding: (1, 0))
            }
        }
    }

    /// 4×4 stride-2 layers with 16 channels or more on even inputs run on Winograd F(2×2, 2×2):
    /// the finite-difference check through its three passes, for a convolution (outputs 3×2, so
    /// the last tiles are half used) and for the transposed layer that runs them in other roles.
    /// The layer is linear in each input, so central differences are exact for any ε; ε = 0.01
    /// keeps Float rounding of the 256-term sums out of the difference quotient.
    func testWinogradConvolutionGradients() {
        let g = Conv2dGeometry(batch: 2, inChannels: 16, inHeight: 6, inWidth: 4, outChannels: 17,
                               kernel: (4, 4), stride: (2, 2), padding: (1, 1))
        let saved = ConvolutionKernels.useWinograd
        defer { ConvolutionKernels.useWinograd = saved }
        ConvolutionKernels.useWinograd = true
        XCTAssertEqual(ConvolutionKernels.implementation(of: g).backwardWeight, "winograd")
        let x = randomVariable(g.inputShape, seed: 51), w = randomVariable(g.weightShape, seed: 52)
        assertGradientsMatchFiniteDifferences(wrt: [x, w], epsilon: 1e-2, "conv2d on Winograd") {
            conv2d(x, weight: w, stride: (2, 2), padding: (1, 1))
        }
        let y = randomVariable(g.outputShape, seed: 53)
        assertGradientsMatchFiniteDifferences(wrt: [y, w], epsilon: 1e-2, "convTranspose2d on Winograd") {
            convTranspose2d(y, weight: w, stride: (2, 2), padding: (1, 1))
        }
    }

    func testConvTranspose2dIsTheAdjointOfConv2d() {
        // <conv(x, w), y> = <x, convT(y, w)> for every x, y.
        let rng = RandomGenerator(seed: 34)
        let x = rng.normal([2, 3, 9, 9]), w = rng.normal([5, 3, 4, 4])
        let y = conv2d(Variable(x), weight: Variable(w), stride: (2, 2), padding: (1, 1)).value
        let v = rng.normal(y.shape)
        let xt = convTranspose2d(Variable(v), weight: Variable(w), stride: (2, 2), padding: (1, 1), outputPadding: (1, 1)).value
        XCTAssertEqual(xt.shape, [2, 3, 9, 9])
        XCTAssertEqual((y * v).sumAll(), (x * xt).sumAll(), accuracy: 1e-2)
    }

    func testConvTranspose2dGradientsWithOutputPadding() {
        for (stride, padding, outputPadding, kernel) in [((2, 2), (1, 1), (0, 0), 4), ((2, 2), (2, 2), (1, 1), 5), ((3, 1), (0, 1), (2, 0), 3)] {
            let x = randomVariable([2, 3, 3, 4], seed: 35)
            let w = randomVariable([3, 2, kernel, kernel], seed: 36)
            let b = randomVariable([2], seed: 37)
            assertGradientsMatchFiniteDifferences(wrt: [x, w, b], "stride \(stride) padding \(padding) outputPadding \(outputPadding)") {
                convTranspose2d(x, weight: w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding)
            }
        }
    }

    func testFullKernelConvolutionsTakeTheMatrixPathCorrectly() {
        // Kernel = input size, no padding: DCGAN's k7 layers (1×1 output, or 1×1 input when transposed).
        let x = randomVariable([3, 2, 5, 5], seed: 45), w = randomVariable([4, 2, 5, 5], seed: 46)
        assertGradientsMatchFiniteDifferences(wrt: [x, w], "conv k = input") { conv2d(x, weight: w) }
        let z = randomVariable([3, 4, 1, 1], seed: 47)
        assertGradientsMatchFiniteDifferences(wrt: [z, w], "convT from 1×1") { convTranspose2d(z, weight: w) }
        let y = conv2d(Variable(x.value), weight: Variable(w.value)).value
        assertClose(y, referenceConv2d(x.value, w.value, stride: (1, 1), padding: (0, 0)), rtol: 1e-4, atol: 1e-4)
    }

    func testConvTransposeOutputShapeLikePyTorch() {
        let x = Variable(Tensor(zeros: [1, 100, 1, 1]))
        let y = convTranspose2d(x, weight: Variable(Tensor(zeros: [100, 8, 7, 7])))
        XCTAssertEqual(y.shape, [1, 8, 7, 7])
        let z = convTranspose2d(Variable(Tensor(zeros: [1, 8, 7, 7])), weight: Variable(Tensor(zeros: [8, 4, 4, 4])), stride: (2, 2), padding: (1, 1))
        XCTAssertEqual(z.shape, [1, 4, 14, 14])
        let u = convTranspose2d(Variable(Tensor(zeros: [1, 8, 7, 7])), weight: Variable(Tensor(zeros: [8, 4, 5, 5])), stride: (2, 2), padding: (2, 2), outputPadding: (1, 1))
        XCTAssertEqual(u.shape, [1, 4, 14, 14])
    }

    func testSecondOrderThroughConvolution() {
        // R1-style penalty: ‖∂(Σ conv(x, w)·c)/∂x‖² differentiated with respect to w.
        let x = randomVariable([1, 2, 5, 5], seed: 38)
        let w = randomVariable([3, 2, 3, 3], seed: 39)
        let c = Variable(RandomGenerator(seed: 40).normal([1, 3, 2, 2]))
        assertGradientsMatchFiniteDifferences(wrt: [w, x], "double backward") {
            let y = (conv2d(x, weight: w, stride: (2, 2)).leakyRelu(slope: 0.2) * c).sum()
            let gx = gradients(of: y, wrt: [x], createGraph: true)[0]
            return gx.squared().sum()
        }
    }

    func testBatchNormTrainingGradients() {
        let x = randomVariable([3, 2, 3, 5], seed: 41)
        let w = randomVariable([2], low: 0.5, high: 1.5, seed: 42)
        let b = randomVariable([2], seed: 43)
        assertGradientsMatchFiniteDifferences(wrt: [x, w, b], "batchnorm2d") {
            batchNormTraining(x, weight: w, bias: b, epsilon: 1e-5).output
        }
        let x1 = randomVariable([5, 3], seed: 44)
        assertGradientsMatchFiniteDifferences(wrt: [x1], "batchnorm1d") {
            batchNormTraining(x1, weight: nil, bias: nil, epsilon: 1e-5).output
        }
    }

    /// The fused kernels give the composite form's output and gradients (odd sizes, 2-D and 4-D,
    /// with and without affine parameters).
    func testFusedBatchNormMatchesCompositeForm() {
        // Planes of 35, 49, 100 and 196 values: SIMD blocks of 16 plus remainders; 6 images of
        // 14×14: two groups of planes summed in Float lanes (4 per group).
        for (shape, affine) in [([4, 3, 5, 7], true), ([9, 5], true), ([3, 2, 3, 3], false), ([3, 4, 7, 7], true), ([2, 2, 5, 20], false),
                                ([6, 2, 14, 14], true)] {
            let x = randomVariable(shape, seed: 51)
            let c = shape[1]
            let w = affine ? randomVariable([c], low: 0.5, high: 1.5, seed: 52) : nil
            let b = affine ? randomVariable([c], seed: 53) : nil
            let seed = RandomGenerator(seed: 54).normal(shape)
            let inputs = [x] + [w, b].compactMap { $0 }
            let fused = batchNormTraining(x, weight: w, bias: b, epsilon: 1e-5).output
            let composite = batchNormComposite(x, weight: w, bias: b, epsilon: 1e-5)
            assertClose(fused.value, composite.value, rtol: 1e-4, atol: 1e-5, "output \(shape)")
            let gf = gradients(of: fused, wrt: inputs, seed: seed), gc = gradients(of: composite, wrt: inputs, seed: seed)
            for (f, c) in zip(gf, gc) { assertClose(f.value, c.value, rtol: 1e-3, atol: 1e-4, "gradient \(shape)") }
        }
    }

    /// Gradients of gradients through batch norm (the recorded pullback), by finite differences
    /// of the first gradient's squared norm. That is a second derivative by Float32 central
    /// differences, so the relative tolerance is 3% instead of 1%.
    func testBatchNormDoubleBackward() {
        let x = randomVariable([3, 2, 2, 3], seed: 61)
        let w = randomVariable([2], low: 0.5, high: 1.5, seed: 62)
        let b = randomVariable([2], seed: 63)
        let r = Variable(RandomGenerator(seed: 64).normal([3, 2, 2, 3]))
        assertGradientsMatchFiniteDifferences(wrt: [x, w], rtol: 3e-2, "batchnorm double backward") {
            let y = batchNormTraining(x, weight: w, bias: b, epsilon: 1e-5).output
            let gx = gradients(of: (y * r).sum(), wrt: [x], createGraph: true)[0]
            return (gx * gx).sum()
        }
    }

    /// Gradients of gradients through batch norm when the incoming gradient depends on the layer's
    /// own output: batch norm → tanh (tanh's backward reads its input), and two batch norms in a
    /// row (the second one's backward reads the first one's output), as a gradient penalty on a
    /// DCGAN discriminator has. The recorded first gradient must equal the unrecorded one, and
    /// its squared norm's gradient must match finite differences (a nested differentiation of
    /// the composite form walked into g's own graph here: a wrong extra term, and re-entry).
    func testBatchNormDoubleBackwardWhenTheIncomingGradientDependsOnTheInput() {
        let x = randomVariable([4, 3, 2, 3], seed: 65)
        let w1 = randomVariable([3], low: 0.5, high: 1.5, seed: 66), b1 = randomVariable([3], seed: 67)
        let w2 = randomVariable([3], low: 0.5, high: 1.5, seed: 68)
        let networks: [(String, () -> Variable)] = [
            ("batchNorm → tanh", { batchNormTraining(x, weight: w1, bias: b1, epsilon: 1e-5).output.tanh().sum() }),
            ("batchNorm → batchNorm → tanh", {
                let h = batchNormTraining(x, weight: w1, bias: b1, epsilon: 1e-5, activationSlope: 0.2).output
                return batchNormTraining(h * h, weight: w2, bias: nil, epsilon: 1e-5).output.tanh().sum()
            }),
        ]
        for (name, network) in networks {
            let recorded = gradients(of: network(), wrt: [x, w1], createGraph: true)
            let plain = gradients(of: network(), wrt: [x, w1])
            for (r, p) in zip(recorded, plain) { assertClose(r.value, p.value, rtol: 1e-4, atol: 1e-5, "first gradient, \(name)") }
            assertGradientsMatchFiniteDifferences(wrt: [x, w1, w2], rtol: 3e-2, "double backward, \(name)") {
                let gx = gradients(of: network(), wrt: [x], createGraph: true)[0]
                return (gx * gx).sum()
            }
        }
    }

    /// Evaluation-mode batch norm (one per-channel affine pass): values against the formula,
    /// gradients by finite differences, 2-D and 4-D, with and without affine parameters.
    func testBatchNormInferenceValuesAndGradients() {
        let rng = RandomGenerator(seed: 71)
        let mean = rng.normal([3]), variance = rng.uniform([3], low: 0.5, high: 2)
        for shape in [[4, 3, 2, 5], [5, 3]] {
            let x = randomVariable(shape, seed: 72)
            let w = randomVariable([3], low: 0.5, high: 1.5, seed: 73), b = randomVariable([3], seed: 74)
            let y = batchNormInference(x, mean: mean, variance: variance, weight: w, bias: b, epsilon: 1e-5)
            let plane = shape.count == 4 ? shape[2] * shape[3] : 1
            var expected = [Float]()
            for (i, v) in x.value.scalars.enumerated() {
                let c = (i / plane) % 3
                expected.append((v - mean[c]) / (variance[c] + 1e-5).squareRoot() * w.value[c] + b.value[c])
            }
            assertClose(y.value, Tensor(shape: shape, values: expected), rtol: 1e-5, atol: 1e-6)
            assertGradientsMatchFiniteDifferences(wrt: [x, w, b], "batchNormInference \(shape)") {
                batchNormInference(x, mean: mean, variance: variance, weight: w, bias: b, epsilon: 1e-5)
            }
            assertGradientsMatchFiniteDifferences(wrt: [x], "batchNormInference without affine \(shape)") {
                batchNormInference(x, mean: mean, variance: variance, weight: nil, bias: nil, epsilon: 1e-5)
            }
        }
    }

    /// In place (inference, statistics folded on tensors by
    /// ``NormalizationKernels/foldedStatistics(mean:variance:weight:bias:epsilon:)``) and as
    /// differentiable ops (folded by variable ops), evaluation-mode batch norm gives the same
    /// bits: with and without weight and bias, with and without a fused LeakyReLU.
    func testBatchNormInferenceInPlaceMatchesTheDifferentiableForm() {
        let rng = RandomGenerator(seed: 75)
        let mean = rng.normal([5]), variance = rng.uniform([5], low: 0.2, high: 3)
        let w = Variable(rng.normal([5])), b = Variable(rng.normal([5]))
        for (weight, bias) in [(w, b), (w, nil), (nil, b), (nil, nil)] as [(Variable?, Variable?)] {
            for slope in [nil, 0.2] as [Float?] {
                let x = rng.normal([3, 5, 3, 7])
                let expected = withoutGradients {
                    batchNormInference(Variable(x), mean: mean, variance: variance, weight: weight, bias: bias,
                                       epsilon: 1e-5, activationSlope: slope)
                }
                let inPlace = Variable(Tensor(shape: x.shape, values: x.scalars))
                withoutGradients {
                    batchNormInferenceInPlace(inPlace, mean: mean, variance: variance, weight: weight, bias: bias,
                                              epsilon: 1e-5, activationSlope: slope)
                }
                XCTAssertEqual(inPlace.value.scalars.map(\.bitPattern), expected.value.scalars.map(\.bitPattern),
                               "weight \(weight != nil), bias \(bias != nil), slope \(String(describing: slope))")
            }
        }
    }

    /// The per-channel affine map behind evaluation-mode batch norm, checked on its own: with
    /// and without a shift, on [N, C] and odd [N, C, H, W].
    func testChannelAffineGradients() {
        for shape in [[3, 4, 3, 5], [5, 4]] {
            let x = randomVariable(shape, seed: 75)
            let scale = randomVariable([4], seed: 76), shift = randomVariable([4], seed: 77)
            assertGradientsMatchFiniteDifferences(wrt: [x, scale, shift], "channelAffine \(shape)") {
                channelAffine(x, scale: scale, shift: shift)
            }
            assertGradientsMatchFiniteDifferences(wrt: [x, scale], "channelAffine without shift \(shape)") {
                channelAffine(x, scale: scale, shift: nil)
            }
        }
    }

    /// Batch norm with a fused (Leaky)ReLU gives the two ops' values and gradients bit for bit,
    /// in training and evaluation mode, 2-D and odd 4-D, with and without affine parameters:
    /// the forward pass computes the same expressions, and the backward pass's mask read from
    /// the output is the unfused mask read from the input (for slopes ≥ 0).
    func testBatchNormWithFusedActivationIsTheTwoOpsBitForBit() {
        func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }
        let rng = RandomGenerator(seed: 81)
        for (shape, affine) in [([5, 3, 3, 7], true), ([7, 4], true), ([3, 2, 5, 5], false)] {
            let c = shape[1]
            let x = randomVariable(shape, seed: 82)
            let w = affine ? randomVariable([c], low: -1.5, high: 1.5, seed: 83) : nil
            let b = affine ? randomVariable([c], seed: 84) : nil
            let inputs = [x] + [w, b].compactMap { $0 }
            let seed = rng.normal(shape)
            let mean = rng.normal([c]), variance = rng.uniform([c], low: 0.5, high: 2)
            for slope: Float in [0, 0.2] {
                let label = "\(shape) affine \(affine) slope \(slope)"
                let fused = batchNormTraining(x, weight: w, bias: b, epsilon: 1e-5, activationSlope: slope).output
                let twoOps = batchNormTraining(x, weight: w, bias: b, epsilon: 1e-5).output.leakyRelu(slope: slope)
                XCTAssertEqual(bits(fused.value), bits(twoOps.value), "training output \(label)")
                XCTAssertTrue(fused.value.scalars.contains(0) == (slope == 0), "ReLU zeroes, LeakyReLU does not \(label)")
                for (f, t) in zip(gradients(of: fused, wrt: inputs, seed: seed), gradients(of: twoOps, wrt: inputs, seed: seed)) {
                    XCTAssertEqual(bits(f.value), bits(t.value), "training gradient \(label)")
                }
                let fusedEval = batchNormInference(
                    x, mean: mean, variance: variance, weight: w, bias: b, epsilon: 1e-5, activationSlope: slope)
                let twoOpsEval = batchNormInference(x, mean: mean, variance: variance, weight: w, bias: b, epsilon: 1e-5)
                    .leakyRelu(slope: slope)
                XCTAssertEqual(bits(fusedEval.value), bits(twoOpsEval.value), "evaluation output \(label)")
                for (f, t) in zip(gradients(of: fusedEval, wrt: inputs, seed: seed), gradients(of: twoOpsEval, wrt: inputs, seed: seed)) {
                    XCTAssertEqual(bits(f.value), bits(t.value), "evaluation gradient \(label)")
                }
            }
        }
    }

    /// The fused ops' own gradients by finite differences, and their gradients of gradients
    /// against the two ops'. Central differences are wrong across the kink, so the inputs are
    /// drawn (from successive seeds) until every value entering the activation is at least 0.02
    /// from 0, twenty steps of ε = 10⁻³ away (one element moves every normalised value of
    /// its channel).
    func testBatchNormWithFusedActivationGradients() {
        let shape = [3, 3, 2, 5]
        let w = randomVariable([3], low: 0.5, high: 1.5, seed: 92), b = randomVariable([3], seed: 93)
        let scale = randomVariable([3], seed: 94), shift = randomVariable([3], seed: 95)
        func input(awayFromKinksOf f: (Variable) -> Variable) -> Variable {
            for seed in UInt64(900)..<1_900 {
                let x = randomVariable(shape, seed: seed)
                if f(x).value.scalars.allSatisfy({ Swift.abs($0) >= 0.02 }) { return x }
            }
            preconditionFailure("no input away from the kink in 1,000 seeds")
        }
        let x = input { batchNormTraining($0, weight: w, bias: b, epsilon: 1e-5).output }
        for slope: Float in [0, 0.2] {
            assertGradientsMatchFiniteDifferences(wrt: [x, w, b], "batchNorm + LeakyReLU(\(slope))") {
                batchNormTraining(x, weight: w, bias: b, epsilon: 1e-5, activationSlope: slope).output
            }
        }
        let xAffine = input { channelAffine($0, scale: scale, shift: shift) }
        for slope: Float in [0, 0.2] {
            assertGradientsMatchFiniteDifferences(wrt: [xAffine, scale, shift], "channelAffine + LeakyReLU(\(slope))") {
                channelAffine(xAffine, scale: scale, shift: shift, activationSlope: slope)
            }
        }
        let r = Variable(RandomGenerator(seed: 96).normal(shape))
        func squaredInputGradient(_ y: Variable) -> Tensor {
            let gx = gradients(of: (y * r).sum(), wrt: [x], createGraph: true)[0]
            return gradients(of: (gx * gx).sum(), wrt: [x, w])[0].value
        }
        for slope: Float in [0, 0.2] {
            let fused = squaredInputGradient(batchNormTraining(x, weight: w, bias: b, epsilon: 1e-5, activationSlope: slope).output)
            let twoOps = squaredInputGradient(batchNormTraining(x, weight: w, bias: b, epsilon: 1e-5).output.leakyRelu(slope: slope))
            assertClose(fused, twoOps, rtol: 1e-5, atol: 1e-6, "double backward, slope \(slope)")
        }
    }
}
