@testable import GANTensor
import GANTestSupport
import XCTest

final class ConvolutionKernelTests: XCTestCase {
    /// col2im is the adjoint of im2col, so `<conv(x, w), v> = <x, backwardInput(v, w)>` and
    /// `<conv(x, w), v> = <w, backwardWeight(x, v)>` for every geometry: strides 1–3 (also
    /// different per axis), padding 0–2, kernels 1–5, odd sizes, inputs narrower than the
    /// stride, several chunks of images.
    func testBackwardKernelsAreAdjointsOverManyGeometries() {
        let rng = RandomGenerator(seed: 80)
        let savedBudget = ConvolutionKernels.columnBudget
        defer { ConvolutionKernels.columnBudget = savedBudget }
        for trial in 0..<60 {
            let sh = 1 + trial % 3, sw = 1 + (trial / 3) % 3
            let kh = 1 + trial % 5, kw = 1 + (trial / 2) % 5
            let ph = trial % 3, pw = (trial / 5) % 3
            let h = max(1, kh - 2 * ph) + trial % 4, w = max(1, kw - 2 * pw) + (trial / 4) % 3
            let g = Conv2dGeometry(batch: 1 + trial % 3, inChannels: 1 + trial % 2, inHeight: h, inWidth: w,
                                   outChannels: 2, kernel: (kh, kw), stride: (sh, sw), padding: (ph, pw))
            // Every other trial with a tiny column budget: one image per chunk.
            ConvolutionKernels.columnBudget = trial % 2 == 0 ? savedBudget : 1
            XCTAssertEqual(ConvolutionKernels.imagesPerChunk(g), trial % 2 == 0 ? g.batch : 1)
            let x = rng.normal(g.inputShape), weight = rng.normal(g.weightShape), v = rng.normal(g.outputShape)
            let y = ConvolutionKernels.conv2dForward(input: x, weight: weight, geometry: g)
            let dx = ConvolutionKernels.conv2dBackwardInput(outputGradient: v, weight: weight, geometry: g)
            let dw = ConvolutionKernels.conv2dBackwardWeight(input: x, outputGradient: v, geometry: g)
            let lhs = dot(y, v)
            XCTAssertEqual(dot(x, dx), lhs, accuracy: 1e-3 * max(1, abs(lhs)), "input adjoint, \(g)")
            XCTAssertEqual(dot(weight, dw), lhs, accuracy: 1e-3 * max(1, abs(lhs)), "weight adjoint, \(g)")
        }
    }

    /// The forward kernel against the definition, and both backward kernels as its adjoints, over
    /// output widths 1–20: im2col copies each output row as one run of OW floats in pieces of 8,
    /// 4 and 1, so every mix of the three (and several taps per phase of strides 2 and 3) is
    /// checked, with padding wider than the kernel needs on some trials.
    func testForwardMatchesDefinitionForEveryRunLength() {
        let rng = RandomGenerator(seed: 81)
        for trial in 0..<40 {
            let sw = 1 + trial % 3, sh = 1 + (trial / 3) % 2
            let kw = 1 + (trial / 2) % 5, kh = 1 + trial % 4
            let pw = (trial / 4) % 4, ph = trial % 2
            let ow = 1 + trial % 20
            let w = max(1, (ow - 1) * sw + kw - 2 * pw + trial % sw)
            guard w + 2 * pw >= kw else { continue }
            let g = Conv2dGeometry(batch: 2, inChannels: 2, inHeight: 3 + trial % 5, inWidth: w, outChannels: 3,
                                   kernel: (min(kh, 3 + trial % 5 + 2 * ph), kw), stride: (sh, sw), padding: (ph, pw))
            let x = rng.normal(g.inputShape), weight = rng.normal(g.weightShape), v = rng.normal(g.outputShape)
            let y = ConvolutionKernels.conv2dForward(input: x, weight: weight, geometry: g)
            assertClose(y, referenceConv2d(x, weight, stride: (sh, sw), padding: (ph, pw)), rtol: 1e-4, atol: 1e-4, "\(g)")
            let lhs = dot(y, v)
            let dx = ConvolutionKernels.conv2dBackwardInput(outputGradient: v, weight: weight, geometry: g)
            let dw = ConvolutionKernels.conv2dBackwardWeight(input: x, outputGradient: v, geometry: g)
            XCTAssertEqual(dot(x, dx), lhs, accuracy: 1e-3 * max(1, abs(lhs)), "input adjoint, \(g)")
            XCTAssertEqual(dot(weight, dw), lhs, accuracy: 1e-3 * max(1, abs(lhs)), "weight adjoint, \(g)")
        }
    }

    private func dot(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.scalars, b.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
}
