#if canImport(CDNNL)
import CDNNL
#endif
@testable import GANTensor
import GANTestSupport
import XCTest

/// oneDNN runs the wide convolution layers where it is linked; im2col + GEMM (checked against
/// finite differences and adjoint identities elsewhere) is the reference it must agree with.
final class OneDNNConvolutionTests: XCTestCase {
    private var savedUseOneDNN = true, savedUseWinograd = true

    /// On whatever `SWIFTGAN_CONVOLUTION` says: these tests are about oneDNN (Winograd, which
    /// takes some of these geometries ahead of it, is off).
    override func setUpWithError() throws {
        try XCTSkipUnless(ConvolutionKernels.oneDNNAvailable, "oneDNN is not linked on this platform")
        savedUseOneDNN = ConvolutionKernels.useOneDNN
        savedUseWinograd = ConvolutionKernels.useWinograd
        ConvolutionKernels.useOneDNN = true
        ConvolutionKernels.useWinograd = false
    }

    override func tearDown() {
        ConvolutionKernels.useOneDNN = savedUseOneDNN
        ConvolutionKernels.useWinograd = savedUseWinograd
    }

    /// Each pass with oneDNN and with im2col + GEMM on the same data, over wide geometries with
    /// odd sizes, strides 1–3 (different per axis), padding 0–2, non-square kernels, batch 1–3
    /// (and 35: several parts of the batch, the last one short),
    /// 16–48 channels, and sizes where PyTorch's floor division leaves input rows unused.
    func testAgreesWithIm2colGEMMOverManyGeometries() throws {
        forEachActivationLayout { layout in
            let rng = RandomGenerator(seed: 91)
            var onOneDNN = 0
            for trial in 0..<24 {
                let sh = 1 + trial % 3, sw = 1 + (trial / 3) % 3
                let kh = 1 + trial % 4, kw = 1 + (trial / 2) % 5
                let ph = trial % 3, pw = (trial / 4) % 3
                let h = max(kh, kh - 2 * ph) + 1 + trial % 5, w = max(kw, kw - 2 * pw) + 2 + trial % 3
                let g = Conv2dGeometry(batch: trial % 8 == 7 ? 35 : 1 + trial % 3, inChannels: 16 * (1 + trial % 3), inHeight: h, inWidth: w,
                                       outChannels: 16 * (1 + (trial / 3) % 2), kernel: (kh, kw), stride: (sh, sw),
                                       padding: (ph, pw))
                let x = rng.normal(g.inputShape), weight = rng.normal(g.weightShape), dy = rng.normal(g.outputShape)
                let viaOneDNN = passes(x, weight, dy, g, oneDNN: true)
                let reference = passes(x, weight, dy, g, oneDNN: false)
                if ConvolutionKernels.implementation(of: g).forward != "im2col+gemm" { onOneDNN += 1 }
                for (name, got, expected) in zip3(["forward", "backward input", "backward weight"], viaOneDNN, reference) {
                    XCTAssertEqual(got.shape, expected.shape, "\(name), \(g)")
                    let scale = expected.scalars.map { abs($0) }.max() ?? 1
                    let worst = zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThanOrEqual(worst, 2e-5 * max(1, scale) * Float(g.patchSize).squareRoot(), "\(name), \(g), \(layout)")
                }
            }
            // Most of these geometries must really have run on oneDNN, or the comparison proves nothing.
            XCTAssertGreaterThanOrEqual(onOneDNN, 20)
        }
    }

    /// Runs `body` with oneDNN reading activations channels-last (nhwc) and again in the
    /// channel-blocked layout it picks itself.
    private func forEachActivationLayout(_ body: (_ layout: String) throws -> Void) rethrows {
        let saved = OneDNNConvolutions.channelsLast
        defer { OneDNNConvolutions.channelsLast = saved }
        for channelsLast in [true, false] {
            OneDNNConvolutions.channelsLast = channelsLast
            try body(channelsLast ? "nhwc" : "blocked")
        }
    }

    /// DCGAN's wide layers run on oneDNN's optimised kernels (JIT or brgemm, not its slow
    /// reference code) in either activation layout, its one-channel layers and 1×1-output
    /// layers on GEMM.
    func testDCGANLayersChooseTheirKernels() {
        forEachActivationLayout { layout in
            let wide = Conv2dGeometry(batch: 4, inChannels: 64, inHeight: 14, inWidth: 14, outChannels: 128,
                                      kernel: (4, 4), stride: (2, 2), padding: (1, 1))
            let oneChannel = Conv2dGeometry(batch: 4, inChannels: 1, inHeight: 28, inWidth: 28, outChannels: 64,
                                            kernel: (4, 4), stride: (2, 2), padding: (1, 1))
            let fullyConnected = Conv2dGeometry(batch: 4, inChannels: 128, inHeight: 7, inWidth: 7, outChannels: 16,
                                                kernel: (7, 7))
            let wideKernels = ConvolutionKernels.implementation(of: wide)
            for name in [wideKernels.forward, wideKernels.backwardInput, wideKernels.backwardWeight] {
                XCTAssertTrue(name.hasPrefix("jit:") || name.hasPrefix("brg"), "expected a oneDNN JIT kernel for \(wide) in \(layout), got \(name)")
            }
            XCTAssertEqual(ConvolutionKernels.implementation(of: oneChannel).backwardInput, "im2col+gemm")
            XCTAssertEqual(ConvolutionKernels.implementation(of: fullyConnected).forward, "im2col+gemm")
        }
    }

    /// Bit-identical results run after run and for 1, 2 or 3 threads: the batch is cut into
    /// parts independent of the thread count (here 3 parts, the last one short) and the weight
    /// gradient adds the parts' partial sums in part order.
    func testBitIdenticalForAnyThreadCount() {
        forEachActivationLayout { layout in
            let rng = RandomGenerator(seed: 92)
            let perPart = OneDNNConvolutions.minimumImagesPerPart
            XCTAssertEqual(OneDNNConvolutions.imagesPerPart(batch: 2 * perPart + 3), perPart)
            let g = Conv2dGeometry(batch: 2 * perPart + 3, inChannels: 32, inHeight: 9, inWidth: 9,
                                   outChannels: 16, kernel: (4, 4), stride: (2, 2), padding: (1, 1))
            let x = rng.normal(g.inputShape), weight = rng.normal(g.weightShape), dy = rng.normal(g.outputShape)
            let saved = Parallel.threadCount
            defer { Parallel.threadCount = saved }
            Parallel.threadCount = 1
            let reference = passes(x, weight, dy, g, oneDNN: true)
            for threads in [2, 3, 2] {
                Parallel.threadCount = threads
                for (a, b) in zip(passes(x, weight, dy, g, oneDNN: true), reference) {
                    XCTAssertEqual(a.scalars, b.scalars, "\(threads) threads, \(layout)")
                }
            }
        }
    }

    /// A layer's passes sharing ``ConvertedOperands``: the forward pass keeps `x` converted, the
    /// input-gradient pass `dy`, the weight-gradient pass reuses both and drops them; results are
    /// bit-identical to passes that convert their own. Over a batch of several parts (the last
    /// one short), so each part must find its own images in the kept copies.
    func testKeptConversionsGiveTheSameResultsAndAreDropped() throws {
        try forEachActivationLayout { layout in
            let rng = RandomGenerator(seed: 93)
            let g = Conv2dGeometry(batch: 2 * OneDNNConvolutions.minimumImagesPerPart + 3, inChannels: 32, inHeight: 9, inWidth: 7,
                                   outChannels: 16, kernel: (4, 3), stride: (2, 2), padding: (1, 1))
            let x = rng.normal(g.inputShape), weight = rng.normal(g.weightShape), dy = rng.normal(g.outputShape)
            let reference = passes(x, weight, dy, g, oneDNN: true)
            let operands = try XCTUnwrap(ConvolutionKernels.convertedOperands(for: g))
            let y = ConvolutionKernels.conv2dForward(input: x, weight: weight, geometry: g, operands: operands)
            XCTAssertTrue(operands.input?.source === x.storage, "the forward pass keeps its converted input")
            switch operands.input?.layout {
            case .channelsLast?: XCTAssertEqual(layout, "nhwc")
            case .blocked?: XCTAssertEqual(layout, "blocked")
            case nil: XCTFail("no converted input kept")
            }
            let dx = ConvolutionKernels.conv2dBackwardInput(outputGradient: dy, weight: weight, geometry: g, operands: operands)
            XCTAssertTrue(operands.output?.source === dy.storage, "the input-gradient pass keeps its converted dy")
            let dw = ConvolutionKernels.conv2dBackwardWeight(input: x, outputGradient: dy, geometry: g, operands: operands)
            XCTAssertNil(operands.input, "dropped after the weight gradient")
            XCTAssertNil(operands.output, "dropped after the weight gradient")
            for (got, expected) in zip([y, dx, dw], reference) { XCTAssertEqual(got.scalars, expected.scalars) }
            // A pullback that takes no weight gradient drops the copies itself.
            let unread = try XCTUnwrap(ConvolutionKernels.convertedOperands(for: g))
            _ = ConvolutionKernels.conv2dForward(input: x, weight: weight, geometry: g, operands: unread)
            XCTAssertNotNil(unread.input)
            unread.release()
            XCTAssertNil(unread.input)
        }
    }

    /// A kept copy serves only the tensor it was made from: a weight gradient of other
    /// activations (another `x` and `dy` of the same shapes) converts them afresh.
    func testKeptConversionsAreNotReusedForOtherTensors() throws {
        let rng = RandomGenerator(seed: 94)
        let g = Conv2dGeometry(batch: 3, inChannels: 16, inHeight: 8, inWidth: 8, outChannels: 32,
                               kernel: (3, 3), stride: (1, 1), padding: (1, 1))
        let x = rng.normal(g.inputShape), weight = rng.normal(g.weightShape), dy = rng.normal(g.outputShape)
        let otherX = rng.normal(g.inputShape), otherDy = rng.normal(g.outputShape)
        let operands = try XCTUnwrap(ConvolutionKernels.convertedOperands(for: g))
        _ = ConvolutionKernels.conv2dForward(input: x, weight: weight, geometry: g, operands: operands)
        _ = ConvolutionKernels.conv2dBackwardInput(outputGradient: dy, weight: weight, geometry: g, operands: operands)
        let dw = ConvolutionKernels.conv2dBackwardWeight(input: otherX, outputGradient: otherDy, geometry: g, operands: operands)
        XCTAssertEqual(dw.scalars, ConvolutionKernels.conv2dBackwardWeight(input: otherX, outputGradient: otherDy, geometry: g).scalars)
    }

    /// A kept copy serves only passes that read its layout: the forward and input-gradient
    /// passes keep their conversions in nhwc, the layout is switched to the blocked one, and the
    /// weight-gradient pass converts afresh (nhwc rows read as nChw16c would give wrong
    /// gradients): bit-identical to a weight-gradient pass that converts its own.
    func testKeptConversionsAreNotReusedAcrossALayoutSwitch() throws {
        let saved = OneDNNConvolutions.channelsLast
        defer { OneDNNConvolutions.channelsLast = saved }
        let rng = RandomGenerator(seed: 95)
        let g = Conv2dGeometry(batch: 3, inChannels: 32, inHeight: 8, inWidth: 7, outChannels: 16,
                               kernel: (3, 3), stride: (2, 1), padding: (1, 1))
        let x = rng.normal(g.inputShape), weight = rng.normal(g.weightShape), dy = rng.normal(g.outputShape)
        OneDNNConvolutions.channelsLast = true
        let operands = try XCTUnwrap(ConvolutionKernels.convertedOperands(for: g))
        _ = ConvolutionKernels.conv2dForward(input: x, weight: weight, geometry: g, operands: operands)
        _ = ConvolutionKernels.conv2dBackwardInput(outputGradient: dy, weight: weight, geometry: g, operands: operands)
        XCTAssertEqual(operands.input?.layout, .channelsLast)
        XCTAssertEqual(operands.output?.layout, .channelsLast)
        OneDNNConvolutions.channelsLast = false
        let dw = ConvolutionKernels.conv2dBackwardWeight(input: x, outputGradient: dy, geometry: g, operands: operands)
        XCTAssertEqual(dw.scalars, ConvolutionKernels.conv2dBackwardWeight(input: x, outputGradient: dy, geometry: g).scalars)
    }

    /// ``BlockedLayout`` read from oneDNN's own descriptors converts exactly as oneDNN's reorder
    /// primitive does, both ways, padding included: the weight layouts its kernels pick
    /// (`OIhw16i16o`, `OIhw16o16i`, `Ohwi32o` and their 8-blocked AVX2 kinds), a twice-blocked
    /// one and layouts whose blocks pad the channels, all by transposes, and `hwio` (no inner
    /// block) element by element.
    func testBlockedLayoutMatchesOneDNNReorders() throws {
        #if canImport(CDNNL)
        let tags: [(dnnl_format_tag_t, String, [Int], transposes: Bool)] = [
            (dnnl_OIhw16i16o, "OIhw16i16o", [32, 48, 3, 5], true), (dnnl_OIhw16o16i, "OIhw16o16i", [48, 16, 4, 4], true),
            (dnnl_Ohwi32o, "Ohwi32o", [48, 16, 3, 2], true), (dnnl_OIhw8i8o, "OIhw8i8o", [24, 16, 1, 3], true),
            (dnnl_OIhw4i16o4i, "OIhw4i16o4i", [16, 32, 2, 3], true), (dnnl_OIhw16i16o, "OIhw16i16o padded", [20, 7, 3, 3], true),
            (dnnl_aBcd16b, "nChw16c padded", [2, 24, 3, 5], true), (dnnl_hwio, "hwio", [5, 7, 3, 2], false),
        ]
        var engine: dnnl_engine_t?, stream: dnnl_stream_t?
        XCTAssertEqual(dnnl_engine_create(&engine, dnnl_cpu, 0), dnnl_success)
        XCTAssertEqual(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), dnnl_success)
        defer { dnnl_stream_destroy(stream); dnnl_engine_destroy(engine) }
        // oneDNN's reorder from `source` (described by `from`) into `destination` (by `to`).
        func reorder(_ source: [Float], _ from: inout dnnl_memory_desc_t, into destination: inout [Float], _ to: inout dnnl_memory_desc_t) {
            var pd: dnnl_primitive_desc_t?, primitive: dnnl_primitive_t?, fromMemory: dnnl_memory_t?, toMemory: dnnl_memory_t?
            XCTAssertEqual(dnnl_reorder_primitive_desc_create(&pd, &from, engine, &to, engine, nil), dnnl_success)
            XCTAssertEqual(dnnl_primitive_create(&primitive, pd), dnnl_success)
            var input = source
            input.withUnsafeMutableBytes { input in
                destination.withUnsafeMutableBytes { output in
                    XCTAssertEqual(dnnl_memory_create(&fromMemory, &from, engine, input.baseAddress), dnnl_success)
                    XCTAssertEqual(dnnl_memory_create(&toMemory, &to, engine, output.baseAddress), dnnl_success)
                    // DNNL_ARG_FROM and DNNL_ARG_TO are DNNL_ARG_SRC and DNNL_ARG_DST.
                    let args = [dnnl_exec_arg_t(arg: Int32(swiftgan_dnnl_arg_src), memory: fromMemory),
                                dnnl_exec_arg_t(arg: Int32(swiftgan_dnnl_arg_dst), memory: toMemory)]
                    XCTAssertEqual(dnnl_primitive_execute(primitive, stream, 2, args), dnnl_success)
                    XCTAssertEqual(dnnl_stream_wait(stream), dnnl_success)
                }
            }
            dnnl_memory_destroy(fromMemory); dnnl_memory_destroy(toMemory)
            dnnl_primitive_destroy(primitive); dnnl_primitive_desc_destroy(pd)
        }
        func assertBitIdentical(_ got: [Float], _ expected: [Float], _ what: String) {
            let difference = got.indices.first { got[$0].bitPattern != expected[$0].bitPattern }
            XCTAssertNil(difference, "\(what): the first difference at offset \(difference ?? -1)")
        }
        for (tag, name, dims, transposes) in tags {
            let dims64 = dims.map { Int64($0) }
            var plainMD = dnnl_memory_desc_t(), blockedMD = dnnl_memory_desc_t()
            XCTAssertEqual(dnnl_memory_desc_init_by_tag(&plainMD, 4, dims64, dnnl_f32, dnnl_abcd), dnnl_success)
            XCTAssertEqual(dnnl_memory_desc_init_by_tag(&blockedMD, 4, dims64, dnnl_f32, tag), dnnl_success)
            let layout = try XCTUnwrap(BlockedLayout(blockedMD), name)
            XCTAssertEqual(layout.floats * 4, dnnl_memory_desc_get_size(&blockedMD), name)
            XCTAssertEqual(layout.usesTransposes, transposes, name)
            let plain = RandomGenerator(seed: 7).normal([dims.reduce(1, *)]).scalars
            // Plain → blocked.
            var viaOneDNN = [Float](repeating: .nan, count: layout.floats), viaSwift = viaOneDNN
            reorder(plain, &plainMD, into: &viaOneDNN, &blockedMD)
            viaSwift.withUnsafeMutableBufferPointer { ChannelBlocking.toBlocked(plain, $0.baseAddress!, layout: layout) }
            assertBitIdentical(viaSwift, viaOneDNN, "\(name) into")
            // Blocked → plain, from a blocked array whose padding holds values (they must be skipped).
            let blocked = RandomGenerator(seed: 8).normal([layout.floats]).scalars
            var backViaOneDNN = [Float](repeating: .nan, count: plain.count), backViaSwift = backViaOneDNN
            reorder(blocked, &blockedMD, into: &backViaOneDNN, &plainMD)
            backViaSwift.withUnsafeMutableBufferPointer { ChannelBlocking.toPlain(blocked, $0.baseAddress!, layout: layout) }
            assertBitIdentical(backViaSwift, backViaOneDNN, "\(name) out of")
        }
        #else
        throw XCTSkip("oneDNN is not linked on this platform")
        #endif
    }

    /// An empty batch: the forward and input-gradient passes return empty tensors and the weight
    /// gradient, a sum over no images, is zero (PyTorch's value), on both paths. oneDNN's path
    /// indexed its first part's plan, of which there is none; im2col returned a cached buffer
    /// that no chunk had written.
    func testEmptyBatchGivesEmptyOutputsAndAZeroWeightGradient() {
        let rng = RandomGenerator(seed: 5)
        for (inChannels, outChannels) in [(64, 128), (1, 64)] {
            let g = Conv2dGeometry(batch: 0, inChannels: inChannels, inHeight: 14, inWidth: 14, outChannels: outChannels,
                                   kernel: (4, 4), stride: (2, 2), padding: (1, 1))
            // Leave non-zero buffers of the weight gradient's size in the cache.
            for _ in 0..<3 { _ = rng.normal(g.weightShape) }
            for oneDNN in [true, false] {
                let (y, dx, dw) = { let r = passes(Tensor(zeros: g.inputShape), rng.normal(g.weightShape), Tensor(zeros: g.outputShape), g, oneDNN: oneDNN); return (r[0], r[1], r[2]) }()
                XCTAssertEqual(y.shape, g.outputShape)
                XCTAssertEqual(dx.shape, g.inputShape)
                XCTAssertEqual(dw.shape, g.weightShape)
                XCTAssertEqual(dw.scalars.filter { $0 != 0 }.count, 0, "\(g) oneDNN \(oneDNN)")
            }
        }
    }

    private func passes(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: Conv2dGeometry, oneDNN: Bool) -> [Tensor] {
        let saved = ConvolutionKernels.useOneDNN
        ConvolutionKernels.useOneDNN = oneDNN
        defer { ConvolutionKernels.useOneDNN = saved }
        return convolutionPasses(x, w, dy, g)
    }
}
