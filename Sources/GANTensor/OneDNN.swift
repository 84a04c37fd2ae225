#if canImport(CDNNL)
import CDNNL
import Foundation
#endif

/// The three passes of a convolution, in the argument order ``runOneDNNConvolution(_:_:_:_:_:operands:)``
/// takes them: forward `(x, w) → y`, backward input `(dy, w) → dx`, backward weight `(x, dy) → dw`.
enum ConvolutionPass: Int {
    case forward = 0, backwardInput = 1, backwardWeight = 2

    /// What an argument of a convolution holds: an activation of its input side `[N, C, H, W]`
    /// (`x`, `dx`), of its output side `[N, OC, OH, OW]` (`y`, `dy`), or the weight (`w`, `dw`).
    enum Side { case input, output, weight }

    /// The side of argument `position` (0 and 1: the inputs, 2: the output).
    func side(of position: Int) -> Side {
        switch (self, position) {
        case (.forward, 0), (.backwardInput, 2), (.backwardWeight, 0): .input
        case (.forward, 2), (.backwardInput, 0), (.backwardWeight, 1): .output
        default: .weight
        }
    }
}

/// Runs one pass of geometry `g` with oneDNN when it is linked, enabled
/// (``ConvolutionKernels/useOneDNN``) and takes this geometry; returns false (having done
/// nothing) otherwise, and the caller uses im2col + GEMM.
/// Two plain NCHW / OIHW inputs, then the output array, which is overwritten. `operands`: the
/// layer's converted activations, reused and kept (see ``ConvertedOperands``).
func runOneDNNConvolution(
    _ pass: ConvolutionPass, _ g: Conv2dGeometry, _ first: Tensor, _ second: Tensor, _ output: UnsafeMutablePointer<Float>,
    operands: ConvertedOperands?
) -> Bool {
    #if canImport(CDNNL)
    guard let dnnl = oneDNNConvolutions(for: g) else { return false }
    return dnnl.run(pass, g, first, second, output, operands: operands)
    #else
    return false
    #endif
}

/// True when oneDNN runs the passes of `g` (see `oneDNNConvolutions(for:)`).
func oneDNNRuns(_ g: Conv2dGeometry) -> Bool {
    #if canImport(CDNNL)
    return oneDNNConvolutions(for: g) != nil
    #else
    return false
    #endif
}

#if canImport(CDNNL)
/// oneDNN's convolutions when they run `g` (linked, enabled, taking the geometry, and Winograd
/// not taking it first), else nil.
private func oneDNNConvolutions(for g: Conv2dGeometry) -> OneDNNConvolutions? {
    guard ConvolutionKernels.useOneDNN, !WinogradConvolution.takes(g), OneDNNConvolutions.takes(g) else { return nil }
    return OneDNNConvolutions.shared
}
#endif

/// One application of a convolution layer's activations as oneDNN's kernels read them
/// (``ActivationLayout``), kept between its passes so that each is converted once. The forward pass
/// keeps its converted input `x` and the input-gradient pass its converted `dy`; the
/// weight-gradient pass, which reads both, reuses them and then drops them, and a pullback
/// that takes no weight gradient drops them itself (``release()``). (For a transposed layer the
/// passes swap roles and the same two are shared.) Only activations oneDNN reads in `nhwc`,
/// `nChw16c` or `nChw8c` are kept, as every layer it runs here does.
///
/// The autodiff ops make one per application (``ConvolutionKernels/convertedOperands(for:)``,
/// nil where oneDNN does not run the layer) and hand it to each pass. A pass reuses a kept copy
/// only when it was made from the very same tensor storage, which the copy holds on to, so the
/// values cannot have changed: a write through the tensor API copies a shared storage first
/// (writing through a ``TensorStorage``'s pointer directly bypasses that, here as everywhere).
/// Reads and writes happen under the convolution lock.
public final class ConvertedOperands {
    /// A whole batch's activation in `layout`, converted from `source`.
    struct Copy {
        let source: TensorStorage
        let blocked: TensorStorage
        let layout: ActivationLayout
    }
    /// The convolution's input side `[N, C, H, W]` and output side `[N, OC, OH, OW]`.
    var input: Copy?, output: Copy?

    init() {}

    /// Drops the kept copies (their memory returns to the buffer pool), when no pass will read
    /// them again.
    public func release() {
        #if canImport(CDNNL)
        OneDNNConvolutions.shared?.withLock(dropCopies)
        #endif
    }

    /// ``release()`` with the convolution lock held.
    func dropCopies() { input = nil; output = nil }

    /// The kept copy of a convolution's activation on `side` (nil for the weight, never kept).
    subscript(side: ConvolutionPass.Side) -> Copy? {
        get { side == .input ? input : side == .output ? output : nil }
        set {
            switch side {
            case .input: input = newValue
            case .output: output = newValue
            case .weight: break
            }
        }
    }
}

/// oneDNN's implementation of one pass of `g` ("jit:avx512_core", "jit:avx2", …), or nil when
/// im2col + GEMM runs it. For benchmark reports.
func oneDNNImplementation(_ pass: ConvolutionPass, _ g: Conv2dGeometry) -> String? {
    #if canImport(CDNNL)
    guard let dnnl = oneDNNConvolutions(for: g) else { return nil }
    return dnnl.implementation(pass, g)
    #else
    return nil
    #endif
}

#if canImport(CDNNL)
/// Process-wide oneDNN settings, applied before its first use.
enum OneDNN {
    /// Caps the instruction set at `avx512_core` unless `ONEDNN_MAX_CPU_ISA` is set: with
    /// `avx512_core_vnni` and above Debian's oneDNN 2.6.3 crashed (SIGSEGV/SIGILL) on this
    /// project's AMD EPYC. Must run before any primitive or GEMM.
    static let configured: Void = {
        let env = ProcessInfo.processInfo.environment
        if env["ONEDNN_MAX_CPU_ISA"] == nil && env["DNNL_MAX_CPU_ISA"] == nil {
            _ = dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx512_core)
        }
    }()

    /// True when oneDNN's kernels use AVX-512 on this CPU.
    static var usesAVX512: Bool { instructionSet == "avx512_core" }

    /// The widest instruction set oneDNN's kernels use here, as oneDNN names it: "avx512_core",
    /// "avx2", "avx", "sse41", or "" below those. Read once (after the cap is set).
    static let instructionSet: String = {
        _ = configured
        let effective = dnnl_get_effective_cpu_isa().rawValue
        let sets: [(dnnl_cpu_isa_t, String)] = [
            (dnnl_cpu_isa_avx512_core, "avx512_core"), (dnnl_cpu_isa_avx2, "avx2"),
            (dnnl_cpu_isa_avx, "avx"), (dnnl_cpu_isa_sse41, "sse41")]
        return sets.first { effective & $0.0.rawValue == $0.0.rawValue }?.1 ?? ""
    }()

    /// Row-major `C = α·op(A)·op(B) + β·C` by oneDNN's sgemm on the calling thread.
    static func sgemm(
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        _ = configured  // also when SWIFTGAN_GEMM chose oneDNN without asking for its ISA
        omp_set_num_threads(1)
        let status = dnnl_sgemm(
            CChar(UInt8(ascii: transposeA ? "T" : "N")), CChar(UInt8(ascii: transposeB ? "T" : "N")),
            Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        check(status, "sgemm \(m)x\(n)x\(k)")
    }
}

/// oneDNN's direct convolutions (JIT kernels for AVX2 / AVX-512) for the wide layers, where they
/// beat im2col + GEMM about twofold (DCGAN's 64→128 and 128→256 stride-2 layers; see README).
///
/// The kernels read activations in `nhwc` or a channel-blocked layout (``channelsLast``) and
/// weights in a blocked layout oneDNN picks (`OIhw16i16o`, …); each call wraps the caller's
/// NCHW / OIHW arrays, converts inputs into scratch taken from ``BufferPool`` (called "blocked"
/// below, whichever the layout), runs the primitive and converts the output back: activations
/// and weights with ``ChannelBlocking`` (every oneDNN execution allocates on the heap, so reorder
/// primitives would add two per part and two or three per call); the weight once per call. A layer's input and output-side activations go
/// into whole-batch copies that its other passes reuse instead (``ConvertedOperands``; in the
/// dcgan28 step this took conversions into the blocked layout from 4.8% of the samples to 1.8%).
/// Primitives are built once per (geometry, pass, worker, activation layout) and kept.
///
/// Threads: the batch is cut into parts (``imagesPerPart(batch:)``) and SwiftGAN's workers run
/// the parts, each with a single-threaded oneDNN. oneDNN's own OpenMP team would spin after every
/// call and take a core from the elementwise kernels that follow (measured: 10% of a DCGAN step).
/// The parts do not depend on the thread count, and the weight gradient sums the parts' partial
/// gradients in part order, so results are bit-identical whatever ``Parallel/threadCount`` is.
/// They do depend on the machine (``minimumImagesPerPart``): across machines either side of its
/// core-count line, weight gradients round differently.
///
/// Limits, each measured with Debian's oneDNN 2.6.3 on an AMD EPYC with AVX-512:
/// - Instruction set capped at `avx512_core` (``OneDNN/configured``).
/// - Only layers whose input and output channels are multiples of 16: its `avx512_core`
///   backward-data kernel for one input channel (DCGAN's 128→1 and 1→64 layers) writes out of
///   bounds; those layers are small and stay on im2col + GEMM.
/// - Calls are serialised (one lock): a worker's plans wrap the caller's arrays per call.
final class OneDNNConvolutions: @unchecked Sendable {
    static let shared: OneDNNConvolutions? = OneDNNConvolutions()

    /// Images per part of a batch of `batch` (the last part takes the remainder):
    /// ``minimumImagesPerPart``, or an eighth of a larger batch, so sampling 1,000 images makes 8
    /// calls per layer, not 32 or 63 (each call costs a few heap allocations inside oneDNN). Depends on
    /// the batch and the machine, never on ``Parallel/threadCount``.
    static func imagesPerPart(batch: Int) -> Int { max(minimumImagesPerPart, (batch + 7) / 8) }

    /// 32 images on machines with at most 2 cores, where parts of 32 ran dcgan28 at batch 64
    /// 4–13% faster than parts of 16 (5 of 6 alternating pairs) with a fifth fewer allocations;
    /// 16 on larger machines, so a batch of 64 still gives four workers a part each.
    static let minimumImagesPerPart = ProcessInfo.processInfo.activeProcessorCount > 2 ? 16 : 32

    /// Whether the kernels read activations in `nhwc` (``ActivationLayout/channelsLast``) rather
    /// than in the channel-blocked layout oneDNN picks when left to choose. With AVX-512 (oneDNN
    /// 2.6.3, one thread, a part of 32 images of dcgan28's wide layers) nhwc ran the forward
    /// pass on its `brgconv` kernels 26% faster and the backward-data pass 15–19% faster, the
    /// backward-weights pass 4–14% slower; one layout for all three keeps one converted copy per
    /// activation. With AVX2 (`ONEDNN_MAX_CPU_ISA=AVX2`, same parts) the two were within −10%
    /// and +11% of each other pass by pass, so the blocked layout stays there.
    /// `SWIFTGAN_ONEDNN_ACTIVATIONS=blocked` or `=nhwc` overrides; tests switch it, only while
    /// no convolution runs (each call reads it once).
    nonisolated(unsafe) static var channelsLast: Bool = {
        switch ProcessInfo.processInfo.environment["SWIFTGAN_ONEDNN_ACTIVATIONS"] {
        case "nhwc": true
        case "blocked": false
        default: OneDNN.usesAVX512
        }
    }()

    /// Geometries oneDNN runs: both channel counts multiples of 16 (no padded blocks), not a
    /// plain matrix product, and the PyTorch output size reachable with non-negative padding
    /// on the bottom/right.
    static func takes(_ g: Conv2dGeometry) -> Bool {
        let padding = bottomRightPadding(g)
        return !g.isFullyConnected && g.batch > 0 && g.inChannels > 0 && g.outChannels > 0
            && g.inChannels % 16 == 0 && g.outChannels % 16 == 0
            && padding.height >= 0 && padding.width >= 0
    }

    /// oneDNN wants `OH = (H + top + bottom − kH) / sH + 1` exactly; PyTorch's floor division may
    /// leave rows unused, so the bottom padding is what makes the sizes agree.
    static func bottomRightPadding(_ g: Conv2dGeometry) -> (height: Int, width: Int) {
        ((g.outHeight - 1) * g.strideHeight + g.kernelHeight - g.inHeight - g.paddingHeight,
         (g.outWidth - 1) * g.strideWidth + g.kernelWidth - g.inWidth - g.paddingWidth)
    }

    private struct Key: Hashable {
        let geometry: Conv2dGeometry, pass: ConvolutionPass, worker: Int, channelsLast: Bool
    }

    /// A primitive and its user-managed scratchpad. oneDNN's default scratchpad belongs to the
    /// thread that created the primitive, and running it on a worker thread wrote through a null
    /// pointer; with the scratchpad passed in, any thread can run it.
    private struct Kernel {
        let primitive: dnnl_primitive_t
        /// Wraps scratch taken from ``BufferPool`` per call; nil when the primitive needs none.
        let scratchpad: dnnl_memory_t?
        let scratchpadFloats: Int

        /// Creates the primitive of `pd` and the memory object for its scratchpad.
        init?(_ pd: dnnl_primitive_desc_t, _ engine: dnnl_engine_t) {
            var primitive: dnnl_primitive_t?
            guard dnnl_primitive_create(&primitive, pd) == dnnl_success, let primitive else { return nil }
            let md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)
            let bytes = md.map { dnnl_memory_desc_get_size($0) } ?? 0
            var scratchpad: dnnl_memory_t?
            if bytes > 0 {
                guard dnnl_memory_create(&scratchpad, md, engine, nil) == dnnl_success else {
                    dnnl_primitive_destroy(primitive); return nil
                }
            }
            self.primitive = primitive; self.scratchpad = scratchpad; scratchpadFloats = (bytes + 3) / 4
        }

        func destroy() {
            dnnl_primitive_destroy(primitive)
            if let scratchpad { dnnl_memory_destroy(scratchpad) }
        }

        /// Executes with `count` arguments in `args` (room for one more, the scratchpad at
        /// `scratch`, which must hold ``scratchpadFloats`` floats).
        func execute(_ stream: dnnl_stream_t, _ args: UnsafeMutableBufferPointer<dnnl_exec_arg_t>, count: Int,
                     scratch: UnsafeMutablePointer<Float>) {
            var count = count
            if let scratchpad {
                check(dnnl_memory_set_data_handle(scratchpad, UnsafeMutableRawPointer(scratch)), "set scratchpad")
                args[count] = dnnl_exec_arg_t(arg: Int32(swiftgan_dnnl_arg_scratchpad), memory: scratchpad)
                count += 1
            }
            check(dnnl_primitive_execute(primitive, stream, Int32(count), args.baseAddress), "execute")
            // oneDNN's CPU stream runs in order on the calling thread; wait before the scratch is reused.
            check(dnnl_stream_wait(stream), "stream wait")
        }
    }

    /// How an argument moves between the caller's plain array and the layout oneDNN chose.
    private enum Conversion {
        /// oneDNN runs on the plain array.
        case none
        /// Activations of an NCHW array `[images, channels, pixels]` in `nChw{block}c` or `nhwc`
        /// (``ChannelBlocking``).
        case activations(ActivationLayout, images: Int, channels: Int, pixels: Int)
        /// Any other blocked layout, the weights' (``BlockedLayout``, on the workers). It replaced
        /// oneDNN reorder primitives: 22 fewer heap allocations per dcgan28 step (770 → 748).
        case blocked(BlockedLayout)
    }

    /// One argument of a convolution: the memory the convolution reads or writes, and how it
    /// relates to the caller's plain array.
    private struct Argument {
        let index: Int32
        /// The layout oneDNN chose for this argument.
        var layout: dnnl_memory_desc_t
        /// What the convolution runs on: the caller's plain array (``Conversion/none``) or a
        /// blocked copy of ``blockedFloats`` floats in scratch.
        let memory: dnnl_memory_t
        let blockedFloats: Int
        let conversion: Conversion
        let isOutput: Bool

        /// False when oneDNN runs on the caller's array.
        var isBlocked: Bool {
            if case .none = conversion { return false }
            return true
        }

        func destroy() { dnnl_memory_destroy(memory) }

        /// Points the argument's memory object at this execution's array: the caller's plain
        /// one or, for a blocked argument, its copy.
        func bind(plain plainData: UnsafeMutableRawPointer, blocked blockedData: UnsafeMutableRawPointer) {
            check(dnnl_memory_set_data_handle(memory, isBlocked ? blockedData : plainData), "set data handle")
        }

        /// Converts between the plain array at `plainData` and the blocked one at `blockedData`:
        /// into the blocked layout, or out of it when `intoBlocked` is false.
        func convert(plainData: UnsafeMutableRawPointer, blockedData: UnsafeMutableRawPointer, intoBlocked: Bool) {
            let plainFloats = plainData.assumingMemoryBound(to: Float.self)
            let blockedFloats = blockedData.assumingMemoryBound(to: Float.self)
            switch conversion {
            case .none: return
            case .activations(let layout, let images, let channels, let pixels):
                if intoBlocked {
                    ChannelBlocking.toBlocked(plainFloats, blockedFloats, images: images, channels: channels, pixels: pixels, layout: layout)
                } else {
                    ChannelBlocking.toPlain(blockedFloats, plainFloats, images: images, channels: channels, pixels: pixels, layout: layout)
                }
            case .blocked(let layout):
                if intoBlocked {
                    ChannelBlocking.toBlocked(plainFloats, blockedFloats, layout: layout)
                } else {
                    ChannelBlocking.toPlain(blockedFloats, plainFloats, layout: layout)
                }
            }
        }
    }

    /// A convolution kernel with its three arguments and its own stream, used by one worker at a time.
    private final class Plan {
        let convolution: Kernel
        let arguments: [Argument]
        let stream: dnnl_stream_t
        /// One scratch buffer per execution holds every blocked argument, then the convolution's
        /// scratchpad (each 64-byte aligned): offsets in floats.
        let blockedOffsets: [Int]
        let convolutionScratchOffset: Int, scratchFloats: Int

        init(convolution: Kernel, arguments: [Argument], stream: dnnl_stream_t) {
            self.convolution = convolution; self.arguments = arguments; self.stream = stream
            func aligned(_ floats: Int) -> Int { (floats + 15) / 16 * 16 }
            var offset = 0, offsets: [Int] = []
            for a in arguments { offsets.append(offset); offset += aligned(a.blockedFloats) }
            blockedOffsets = offsets
            convolutionScratchOffset = offset
            scratchFloats = offset + convolution.scratchpadFloats
        }
        deinit {
            convolution.destroy()
            for a in arguments { a.destroy() }
            dnnl_stream_destroy(stream)
        }

        /// The weight (forward, backward input) or weight gradient (backward weight) argument,
        /// and its position in ``arguments``.
        var weight: Argument { arguments[weightPosition] }
        var weightPosition: Int { arguments[2].index == Int32(swiftgan_dnnl_arg_diff_weights) ? 2 : 1 }

        /// True when the weight has the same blocked layout as in `other`, so one converted copy serves both.
        func sharesBlockedWeight(with other: Plan) -> Bool {
            var mine = weight.layout, theirs = other.weight.layout
            return weight.isBlocked && dnnl_memory_desc_equal(&mine, &theirs) != 0
        }

        /// Converts the weight between the caller's OIHW array and its blocked layout: into the
        /// blocked copy for an input weight, out of it for a weight gradient.
        func convertWeight(plain: UnsafeMutableRawPointer, blocked: UnsafeMutableRawPointer) {
            weight.convert(plainData: plain, blockedData: blocked, intoBlocked: !weight.isOutput)
        }

        /// Runs the convolution on the caller's plain arrays (two inputs, then the output).
        /// `placements`: arguments whose blocked copy lives outside this part's scratch (the
        /// weight shared by the parts of a call, activations kept between passes).
        func execute(
            _ first: UnsafeMutableRawPointer, _ second: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer,
            placements: Placements
        ) {
            omp_set_num_threads(1)
            func plainPointer(_ i: Int) -> UnsafeMutableRawPointer { i == 0 ? first : i == 1 ? second : output }
            BufferPool.withScratch(floats: scratchFloats) { base in
                func blockedPointer(_ i: Int) -> UnsafeMutableRawPointer {
                    placements[i]?.pointer ?? UnsafeMutableRawPointer(base + blockedOffsets[i])
                }
                // False where the caller converts (or has converted) the copy.
                func convertsHere(_ i: Int) -> Bool { !(placements[i]?.convertedByCaller ?? false) }
                withUnsafeTemporaryAllocation(of: dnnl_exec_arg_t.self, capacity: 4) { args in
                    for (i, a) in arguments.enumerated() {
                        a.bind(plain: plainPointer(i), blocked: blockedPointer(i))
                        if !a.isOutput && convertsHere(i) {
                            a.convert(plainData: plainPointer(i), blockedData: blockedPointer(i), intoBlocked: true)
                        }
                        args[i] = dnnl_exec_arg_t(arg: a.index, memory: a.memory)
                    }
                    convolution.execute(stream, args, count: 3, scratch: base + convolutionScratchOffset)
                }
                for (i, a) in arguments.enumerated() where a.isOutput && convertsHere(i) {
                    a.convert(plainData: plainPointer(i), blockedData: blockedPointer(i), intoBlocked: false)
                }
            }
        }
    }

    /// Where an argument's blocked copy lives when not in a part's own scratch: at `pointer`
    /// for the first image (`floatsPerImage` floats per image, 0 for a weight), converted by the
    /// caller or by each part.
    struct Placement {
        let pointer: UnsafeMutableRawPointer
        let floatsPerImage: Int
        let convertedByCaller: Bool

        /// The same placement for a part starting at image `n0`.
        func part(from n0: Int) -> Placement {
            Placement(pointer: pointer + n0 * floatsPerImage * MemoryLayout<Float>.stride,
                      floatsPerImage: floatsPerImage, convertedByCaller: convertedByCaller)
        }
    }

    /// A ``Placement`` or nil per argument of a pass, in its argument order.
    struct Placements {
        private var arguments: (Placement?, Placement?, Placement?) = (nil, nil, nil)

        subscript(i: Int) -> Placement? {
            get { i == 0 ? arguments.0 : i == 1 ? arguments.1 : arguments.2 }
            set {
                switch i {
                case 0: arguments.0 = newValue
                case 1: arguments.1 = newValue
                default: arguments.2 = newValue
                }
            }
        }

        /// The placements of a part starting at image `n0`.
        func part(from n0: Int) -> Placements {
            var p = Placements()
            for i in 0..<3 { p[i] = self[i]?.part(from: n0) }
            return p
        }
    }

    private let engine: dnnl_engine_t
    /// Primitive attributes of every kernel: user-managed scratchpad.
    private let attributes: dnnl_primitive_attr_t
    private let lock = NSLock()
    /// nil marks a geometry oneDNN declined (it then stays on im2col + GEMM).
    private var plans: [Key: Plan?] = [:]
    /// The plans of the running call's parts: a field only so that its capacity is reused; it
    /// keeps the last call's plans alive until the next call, even ones evicted from `plans`.
    private var partPlanList: [Plan] = []
    /// Plans kept at most; all are dropped when a new one would exceed it (batch sizes vary
    /// only between training, the last partial batch and evaluation). A step needs one per
    /// (layer, pass, worker, part size): 3 wide layers × 3 passes × 8 workers is 72, so 64 would
    /// have rebuilt every primitive each step on a 16-core machine.
    private let planCapacity = 512

    /// Runs `body` holding the lock that serialises calls.
    func withLock<R>(_ body: () -> R) -> R {
        lock.lock(); defer { lock.unlock() }
        return body()
    }

    private init?() {
        _ = OneDNN.configured
        var engine: dnnl_engine_t?
        var attributes: dnnl_primitive_attr_t?
        guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, let engine else { return nil }
        guard dnnl_primitive_attr_create(&attributes) == dnnl_success, let attributes,
              dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user) == dnnl_success
        else { dnnl_engine_destroy(engine); return nil }
        self.engine = engine; self.attributes = attributes
    }

    /// The implementation oneDNN picks for one part of `g`: a primitive descriptor is enough to
    /// ask, so naming kernels (for logs) builds no primitive and caches nothing.
    func implementation(_ pass: ConvolutionPass, _ g: Conv2dGeometry) -> String? {
        var part = g
        part.batch = min(g.batch, Self.imagesPerPart(batch: g.batch))
        guard let pd = primitiveDescriptor(pass, part, channelsLast: Self.channelsLast) else { return nil }
        defer { dnnl_primitive_desc_destroy(pd) }
        return implementationName(pd)
    }

    func run(
        _ pass: ConvolutionPass, _ g: Conv2dGeometry, _ firstTensor: Tensor, _ secondTensor: Tensor,
        _ output: UnsafeMutablePointer<Float>, operands: ConvertedOperands?
    ) -> Bool {
        lock.lock(); defer { lock.unlock() }
        let first = firstTensor.pointer, second = secondTensor.pointer
        // Parts of `perPart` images, the last one shorter.
        let perPart = Self.imagesPerPart(batch: g.batch)
        let partCount = (g.batch + perPart - 1) / perPart
        func images(_ i: Int) -> Range<Int> { i * perPart..<min(g.batch, (i + 1) * perPart) }
        let workers = min(Parallel.threadCount, partCount)
        // Worker w runs parts w, w + workers, …; every plan is built here, before the workers start.
        let channelsLast = Self.channelsLast
        partPlanList.removeAll(keepingCapacity: true)
        for i in 0..<partCount {
            var geometry = g
            geometry.batch = images(i).count
            let key = Key(geometry: geometry, pass: pass, worker: i % workers, channelsLast: channelsLast)
            guard let plan = plan(key) else { return false }
            partPlanList.append(plan)
        }
        let partPlans = partPlanList
        // Floats per image of each argument (0: the weight, shared by every part).
        func floatsPerImage(_ position: Int) -> Int {
            switch pass.side(of: position) {
            case .input: g.inChannels * g.inHeight * g.inWidth
            case .output: g.outChannels * g.outHeight * g.outWidth
            case .weight: 0
            }
        }
        let firstImage = floatsPerImage(0), secondImage = floatsPerImage(1), outputImageCount = floatsPerImage(2)
        let weightCount = g.outChannels * g.patchSize
        // When every part has the weight in the same blocked layout, it is converted once per call
        // instead of once per part: the input weight before the parts run, the weight gradient
        // after their partial sums are added (in that layout, element by element).
        let lead = partPlans[0]
        let shareWeight = partPlans.allSatisfy { $0.sharesBlockedWeight(with: lead) }
        let weightFloats = shareWeight ? lead.weight.blockedFloats : weightCount
        // Weight gradients: part i writes slot i (blocked) or, in OIHW, slot i − 1 with part 0
        // writing the output directly; the slots are added in part order afterwards.
        let firstSlot = shareWeight ? 0 : 1
        let blocksWeight = shareWeight && pass != .backwardWeight
        let usesSlots = pass == .backwardWeight && (shareWeight || partCount > 1)
        // The input activations' copies kept between this layer's passes.
        var batchPlacements = Placements()
        if let operands {
            for position in 0..<2 {
                let side = pass.side(of: position)
                guard side != .weight else { continue }
                let source = (position == 0 ? firstTensor : secondTensor).storage
                batchPlacements[position] = keptCopy(position, of: partPlans, source: source, in: operands, side: side)
            }
        }
        // One scratch buffer: the blocked input weight, or the weight-gradient slots.
        let auxiliaryFloats = blocksWeight ? weightFloats : usesSlots ? (partCount - firstSlot) * weightFloats : 0
        BufferPool.withScratch(floats: auxiliaryFloats) { auxiliary in
            if blocksWeight {
                lead.convertWeight(plain: UnsafeMutableRawPointer(mutating: second), blocked: UnsafeMutableRawPointer(auxiliary))
            }
            let weightPosition = lead.weightPosition
            // Worker w runs parts w, w + workers, …: the parts its plans were built for, so no
            // plan runs on two threads at once however the pool maps workers to threads (it has
            // fewer when the system refused a helper).
            Parallel.perform(workers) { w in for i in stride(from: w, to: partCount, by: workers) {
                let n0 = images(i).lowerBound
                let out = usesSlots && i >= firstSlot ? auxiliary + (i - firstSlot) * weightFloats : output + n0 * outputImageCount
                var placements = batchPlacements.part(from: n0)
                if shareWeight {
                    placements[weightPosition] = Placement(
                        pointer: UnsafeMutableRawPointer(blocksWeight ? auxiliary : out), floatsPerImage: 0, convertedByCaller: true)
                }
                partPlans[i].execute(
                    UnsafeMutableRawPointer(mutating: first + n0 * firstImage),
                    UnsafeMutableRawPointer(mutating: second + n0 * secondImage), UnsafeMutableRawPointer(out),
                    placements: placements)
            } }
            if usesSlots {
                let sum = shareWeight ? auxiliary : output, src = UnsafePointer(auxiliary)
                Parallel.forRanges(weightFloats, costPerElement: partCount) { range in
                    for i in 1..<partCount {
                        let partial = src + (i - firstSlot) * weightFloats
                        for j in range { sum[j] += partial[j] }
                    }
                }
                if shareWeight { lead.convertWeight(plain: UnsafeMutableRawPointer(output), blocked: UnsafeMutableRawPointer(sum)) }
            }
        }
        // The weight gradient is the last pass to read the layer's converted activations.
        if pass == .backwardWeight { operands?.dropCopies() }
        return true
    }

    /// The placement of input argument `i` in the whole-batch blocked copy `operands` keeps for
    /// `side`: the kept copy when it was made from `source` in the layout every part reads
    /// (converted already), otherwise a new copy that the parts fill and `operands` keeps. nil
    /// when oneDNN reads the argument in another layout (no copy is kept).
    private func keptCopy(
        _ i: Int, of plans: [Plan], source: TensorStorage, in operands: ConvertedOperands, side: ConvolutionPass.Side
    ) -> Placement? {
        guard case .activations(let layout, _, let channels, let pixels) = plans[0].arguments[i].conversion,
              plans.allSatisfy({ plan in
                  if case .activations(layout, _, _, _) = plan.arguments[i].conversion { return true }
                  return false
              })
        else { return nil }
        let floatsPerImage = channels * pixels
        if let kept = operands[side], kept.source === source, kept.layout == layout {
            return Placement(pointer: UnsafeMutableRawPointer(kept.blocked.pointer), floatsPerImage: floatsPerImage, convertedByCaller: true)
        }
        let blocked = TensorStorage(count: source.count)
        operands[side] = ConvertedOperands.Copy(source: source, blocked: blocked, layout: layout)
        return Placement(pointer: UnsafeMutableRawPointer(blocked.pointer), floatsPerImage: floatsPerImage, convertedByCaller: false)
    }

    /// The plan for `key`, built on first use. Call with the lock held.
    private func plan(_ key: Key) -> Plan? {
        if let known = plans[key] { return known }
        if plans.count >= planCapacity { plans.removeAll() }
        let built = buildPlan(key)
        plans[key] = built
        return built
    }

    /// The primitive descriptor of one pass of `g` (the weight's layout left to oneDNN, the
    /// activations' too unless `channelsLast`), or nil when oneDNN declines the geometry.
    private func primitiveDescriptor(_ pass: ConvolutionPass, _ g: Conv2dGeometry, channelsLast: Bool) -> dnnl_primitive_desc_t? {
        // oneDNN sizes a kernel's work split by the thread count at creation: one, as it runs.
        omp_set_num_threads(1)
        let (bottom, right) = Self.bottomRightPadding(g)
        var pd: dnnl_primitive_desc_t?
        guard swiftgan_dnnl_convolution_pd(
            &pd, engine, attributes, Int32(pass.rawValue), channelsLast ? 1 : 0,
            Int32(g.batch), Int32(g.inChannels), Int32(g.inHeight), Int32(g.inWidth),
            Int32(g.outChannels), Int32(g.outHeight), Int32(g.outWidth),
            Int32(g.kernelHeight), Int32(g.kernelWidth), Int32(g.strideHeight), Int32(g.strideWidth),
            Int32(g.paddingHeight), Int32(g.paddingWidth), Int32(bottom), Int32(right)) == dnnl_success
        else { return nil }
        return pd
    }

    private func implementationName(_ pd: dnnl_primitive_desc_t) -> String {
        var name: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name)
        return name.map { String(cString: $0) } ?? "?"
    }

    private func buildPlan(_ key: Key) -> Plan? {
        let g = key.geometry
        guard let pd = primitiveDescriptor(key.pass, g, channelsLast: key.channelsLast) else { return nil }
        defer { dnnl_primitive_desc_destroy(pd) }

        // (execute argument, descriptor query, plain shape, is output) in the pass's argument order.
        let src = (swiftgan_dnnl_arg_src, dnnl_query_src_md, g.inputShape, false)
        let diffSrc = (swiftgan_dnnl_arg_diff_src, dnnl_query_diff_src_md, g.inputShape, true)
        let weights = (swiftgan_dnnl_arg_weights, dnnl_query_weights_md, g.weightShape, false)
        let diffWeights = (swiftgan_dnnl_arg_diff_weights, dnnl_query_diff_weights_md, g.weightShape, true)
        let dst = (swiftgan_dnnl_arg_dst, dnnl_query_dst_md, g.outputShape, true)
        let diffDst = (swiftgan_dnnl_arg_diff_dst, dnnl_query_diff_dst_md, g.outputShape, false)
        let layout = switch key.pass {
        case .forward: [src, weights, dst]
        case .backwardInput: [diffDst, weights, diffSrc]
        case .backwardWeight: [src, diffDst, diffWeights]
        }
        var arguments: [Argument] = []
        for (index, query, shape, isOutput) in layout {
            guard let argument = makeArgument(pd, Int32(index), query, shape, isOutput) else {
                for a in arguments { a.destroy() }
                return nil
            }
            arguments.append(argument)
        }
        var stream: dnnl_stream_t?
        guard let convolution = Kernel(pd, engine) else {
            for a in arguments { a.destroy() }
            return nil
        }
        guard dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let stream else {
            convolution.destroy()
            for a in arguments { a.destroy() }
            return nil
        }
        return Plan(convolution: convolution, arguments: arguments, stream: stream)
    }

    private func makeArgument(
        _ pd: dnnl_primitive_desc_t, _ index: Int32, _ query: dnnl_query_t, _ shape: [Int], _ isOutput: Bool
    ) -> Argument? {
        guard let chosen = dnnl_primitive_desc_query_md(pd, query, 0) else { return nil }
        var plainDescriptor = dnnl_memory_desc_t()
        guard swiftgan_dnnl_plain_md(&plainDescriptor, Int32(shape[0]), Int32(shape[1]), Int32(shape[2]), Int32(shape[3])) == dnnl_success
        else { return nil }
        // The memory the convolution runs on, in oneDNN's layout; its data handle is set per call.
        var memory: dnnl_memory_t?
        guard dnnl_memory_create(&memory, chosen, engine, nil) == dnnl_success, let memory else { return nil }
        func argument(_ floats: Int, _ conversion: Conversion) -> Argument {
            Argument(index: index, layout: chosen.pointee, memory: memory, blockedFloats: floats,
                     conversion: conversion, isOutput: isOutput)
        }
        if dnnl_memory_desc_equal(chosen, &plainDescriptor) != 0 { return argument(0, .none) }
        let floats = (dnnl_memory_desc_get_size(chosen) + 3) / 4
        // Activations in nChw16c / nChw8c / nhwc are converted by ChannelBlocking, without a reorder primitive.
        let isWeight = index == Int32(swiftgan_dnnl_arg_weights) || index == Int32(swiftgan_dnnl_arg_diff_weights)
        for layout: ActivationLayout in isWeight ? [] : [.channelsLast, .blocked(16), .blocked(8)] {
            var candidate = dnnl_memory_desc_t()
            let block = if case .blocked(let b) = layout { b } else { 0 }
            if swiftgan_dnnl_blocked_md(
                &candidate, Int32(shape[0]), Int32(shape[1]), Int32(shape[2]), Int32(shape[3]), Int32(block)) == dnnl_success,
                dnnl_memory_desc_equal(chosen, &candidate) != 0 {
                return argument(floats, .activations(layout, images: shape[0], channels: shape[1], pixels: shape[2] * shape[3]))
            }
        }
        guard let blocked = BlockedLayout(chosen.pointee), blocked.dimensions == shape, blocked.floats <= floats else {
            dnnl_memory_destroy(memory)
            return nil
        }
        return argument(floats, .blocked(blocked))
    }
}

extension BlockedLayout {
    /// The layout of a 4-D f32 oneDNN memory descriptor in its "blocked" format; nil for any
    /// other format kind or data type, or with an offset, padded offsets or extra flags
    /// (compensations), which SwiftGAN's conversions do not write.
    init?(_ md: dnnl_memory_desc_t) {
        func ints<T>(_ tuple: T, _ count: Int) -> [Int] {
            withUnsafeBytes(of: tuple) { Array($0.bindMemory(to: Int64.self).prefix(count)).map { Int($0) } }
        }
        guard md.ndims == 4, md.data_type == dnnl_f32, md.format_kind == dnnl_blocked, md.offset0 == 0,
              md.extra.flags == 0, ints(md.padded_offsets, 4).allSatisfy({ $0 == 0 }) else { return nil }
        let blocking = md.format_desc.blocking, blockCount = Int(blocking.inner_nblks)
        let innerBlocks = zip(ints(blocking.inner_idxs, blockCount), ints(blocking.inner_blks, blockCount))
            .map { (dimension: $0, size: $1) }
        let dimensions = ints(md.dims, 4), padded = ints(md.padded_dims, 4)
        guard Self.accepts(dimensions: dimensions, paddedDimensions: padded, innerBlocks: innerBlocks) else { return nil }
        self.init(dimensions: dimensions, paddedDimensions: padded, outerStrides: ints(blocking.strides, 4), innerBlocks: innerBlocks)
    }
}

private func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
    require(status == dnnl_success, "oneDNN: \(what()) failed with status \(status.rawValue)")
}
#endif

extension ConvolutionKernels {
    /// What runs the wide layers (DCGAN D's 64→128 convolution stands for them): "winograd on
    /// OpenBLAS Zen" (with the kernels of its products) and the like, "jit:avx512_core" and the
    /// like from oneDNN, or "im2col+gemm".
    public static var wideLayerKernels: String {
        let kernel = implementation(.forward, of: Conv2dGeometry(
            batch: 16, inChannels: 64, inHeight: 14, inWidth: 14, outChannels: 128,
            kernel: (4, 4), stride: (2, 2), padding: (1, 1)))
        return kernel == "winograd" ? "winograd on \(BLAS.kernelSet(of: BLAS.batchLibrary))" : kernel
    }

    /// One line for logs: the GEMM kernels, the wide-layer convolution kernels, the thread count.
    public static var kernelSummary: String {
        "GEMM \(BLAS.kernelSet), wide convolutions \(wideLayerKernels), \(Parallel.threadCount) threads"
    }

    /// True where oneDNN is linked and its CPU engine started.
    public static var oneDNNAvailable: Bool {
        #if canImport(CDNNL)
        return OneDNNConvolutions.shared != nil
        #else
        return false
        #endif
    }
}
