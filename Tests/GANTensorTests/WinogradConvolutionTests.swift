@testable import GANTensor
import GANTestSupport
import XCTest

/// Winograd F(2×2, 2×2) runs 4×4 stride-2 padding-1 layers on even inputs; im2col + GEMM (checked
/// against the definition and finite differences elsewhere) is the reference for all three passes.
final class WinogradConvolutionTests: XCTestCase {
    private var saved = (winograd: true, oneDNN: true, budget: 0)

    override func setUp() {
        saved = (ConvolutionKernels.useWinograd, ConvolutionKernels.useOneDNN, WinogradConvolution.tileBudget)
    }

    override func tearDown() {
        ConvolutionKernels.useWinograd = saved.winograd
        ConvolutionKernels.useOneDNN = saved.oneDNN
        WinogradConvolution.tileBudget = saved.budget
    }

    /// Each pass against im2col + GEMM over output sizes 1–7 (odd ones leave the last tile half
    /// used), different heights and widths, channel counts 16–35 (odd ones too), batches 1–5, and
    /// every other trial with a tile budget of one image per chunk (several chunks, the weight
    /// gradient summed across them).
    func testAgreesWithIm2colOverManyGeometries() {
        let rng = RandomGenerator(seed: 95)
        for trial in 0..<16 {
            let g = Conv2dGeometry(batch: 1 + trial % 5, inChannels: 16 + (trial * 7) % 20, inHeight: 2 * (1 + trial % 7),
                                   inWidth: 2 * (1 + (trial * 3) % 7), outChannels: 16 + (trial * 5) % 19,
                                   kernel: (4, 4), stride: (2, 2), padding: (1, 1))
            WinogradConvolution.tileBudget = trial % 2 == 0 ? saved.budget : 1
            let x = rng.normal(g.inputShape), w = rng.normal(g.weightShape), dy = rng.normal(g.outputShape)
            ConvolutionKernels.useWinograd = true
            XCTAssertEqual(ConvolutionKernels.implementation(of: g).forward, "winograd", "\(g)")
            let got = convolutionPasses(x, w, dy, g)
            ConvolutionKernels.useWinograd = false
            ConvolutionKernels.useOneDNN = false
            let expected = convolutionPasses(x, w, dy, g)
            ConvolutionKernels.useOneDNN = saved.oneDNN
            for (name, a, b) in zip3(["forward", "backward input", "backward weight"], got, expected) {
                XCTAssertEqual(a.shape, b.shape, "\(name), \(g)")
                // Terms are products of N(0, 1) values, summed over up to 16·C of them (N·OH·OW for the weight gradient).
                let scale = b.scalars.map { abs($0) }.max() ?? 1
                let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 1e-5 * max(1, scale) * 8, "\(name), \(g)")
            }
        }
    }

    /// The same bits whatever the thread count: tasks split by image and channel group, products
    /// split by shape, the weight gradient summed over chunks in order (three chunks here).
    func testBitIdenticalForAnyThreadCount() {
        let g = Conv2dGeometry(batch: 5, inChannels: 19, inHeight: 10, inWidth: 14, outChannels: 33,
                               kernel: (4, 4), stride: (2, 2), padding: (1, 1))
        let rng = RandomGenerator(seed: 96)
        let x = rng.normal(g.inputShape), w = rng.normal(g.weightShape), dy = rng.normal(g.outputShape)
        let savedThreads = Parallel.threadCount
        defer { Parallel.threadCount = savedThreads }
        ConvolutionKernels.useWinograd = true
        WinogradConvolution.tileBudget = 2 * 9 * 4 * g.inChannels * 12  // two images (3 × 4 tiles each) per chunk
        Parallel.threadCount = 1
        let one = convolutionPasses(x, w, dy, g)
        Parallel.threadCount = 3
        let three = convolutionPasses(x, w, dy, g)
        XCTAssertEqual(one, three)
    }

    /// A batch of 0: the forward and input-gradient passes are empty, the weight gradient zeros (as PyTorch).
    func testEmptyBatch() {
        let g = Conv2dGeometry(batch: 0, inChannels: 16, inHeight: 6, inWidth: 6, outChannels: 16,
                               kernel: (4, 4), stride: (2, 2), padding: (1, 1))
        ConvolutionKernels.useWinograd = true
        let w = RandomGenerator(seed: 3).normal(g.weightShape)
        let out = convolutionPasses(Tensor(zeros: g.inputShape), w, Tensor(zeros: g.outputShape), g)
        XCTAssertEqual(out[0].shape, [0, 16, 3, 3])
        XCTAssertEqual(out[1].shape, [0, 16, 6, 6])
        XCTAssertEqual(out[2], Tensor(zeros: g.weightShape))
    }

    /// Only 4×4 kernels with stride 2 and padding 1 on even sizes, 16 channels or more each side.
    func testTakesOnlyItsGeometry() {
        ConvolutionKernels.useWinograd = true
        func geometry(c: Int = 16, h: Int = 14, w: Int = 14, oc: Int = 16, k: Int = 4, s: Int = 2, p: Int = 1) -> Conv2dGeometry {
            Conv2dGeometry(batch: 2, inChannels: c, inHeight: h, inWidth: w, outChannels: oc, kernel: (k, k), stride: (s, s), padding: (p, p))
        }
        XCTAssertTrue(WinogradConvolution.takes(geometry()))
        XCTAssertTrue(WinogradConvolution.takes(geometry(c: 64, h: 2, w: 28, oc: 128)))
        for g in [geometry(c: 15), geometry(oc: 1), geometry(h: 13), geometry(w: 15), geometry(k: 3), geometry(s: 1),
                  geometry(p: 0), geometry(p: 2)] {
            XCTAssertFalse(WinogradConvolution.takes(g), "\(g)")
        }
        ConvolutionKernels.useWinograd = false
        XCTAssertFalse(WinogradConvolution.takes(geometry()))
    }
}
