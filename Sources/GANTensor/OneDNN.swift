#if canImport(CDNNL)
import CDNNL
import Foundation
#endif

/// The three passes of a convolution, in the argument order ``runOneDNNConvolution(_:_:_:_:_:)``
/// takes them: forward `(x, w) → y`, backward input `(dy, w) → dx`, backward weight `(x, dy) → dw`.
enum ConvolutionPass: Int {
    case forward = 0, backwardInput = 1, backwardWeight = 2
}

/// Runs one pass of geometry `g` with oneDNN when it is linked, enabled
/// (``ConvolutionKernels/useOneDNN``) and takes this geometry; returns false (having done
/// nothing) otherwise, and the caller uses im2col + GEMM.
/// Pointers are plain NCHW / OIHW arrays: two inputs, then the output, which is overwritten.
func runOneDNNConvolution(
    _ pass: ConvolutionPass, _ g: Conv2dGeometry,
    _ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>
) -> Bool {
    #if canImport(CDNNL)
    guard ConvolutionKernels.useOneDNN, OneDNNConvolutions.takes(g), let dnnl = OneDNNConvolutions.shared else { return false }
    return dnnl.run(pass, g, first, second, output)
    #else
    return false
    #endif
}

/// oneDNN's implementation of one pass of `g` ("jit:avx512_core", "jit:avx2", …), or nil when
/// im2col + GEMM runs it. For benchmark reports.
func oneDNNImplementation(_ pass: ConvolutionPass, _ g: Conv2dGeometry) -> String? {
    #if canImport(CDNNL)
    guard ConvolutionKernels.useOneDNN, OneDNNConvolutions.takes(g), let dnnl = OneDNNConvolutions.shared else { return nil }
    return dnnl.implementation(pass, g)
    #else
    return nil
    #endif
}

#if canImport(CDNNL)
/// oneDNN's direct convolutions (JIT kernels for AVX2 / AVX-512) for the wide layers, where they
/// beat im2col + GEMM about twofold (DCGAN's 64→128 and 128→256 stride-2 layers, measured with
/// `gan-bench layers`).
///
/// oneDNN picks blocked layouts (`nChw16c`, `OIhw16i16o`, …) for its kernels; each call wraps the
/// caller's NCHW / OIHW arrays, reorders inputs into blocked scratch taken from ``BufferPool``,
/// runs the primitive and reorders the output back. Primitives are built once per
/// (geometry, pass) and kept.
///
/// Limits, each measured with Debian's oneDNN 2.6.3 on an AMD EPYC with AVX-512:
/// - Instruction set capped at `avx512_core` unless `ONEDNN_MAX_CPU_ISA` is set: with
///   `avx512_core_vnni` and above its kernels crashed (SIGSEGV/SIGILL) on this CPU.
/// - Only layers whose input and output channels are multiples of 16: its `avx512_core`
///   backward-data kernel for one input channel (DCGAN's 128→1 and 1→64 layers) writes out of
///   bounds; those layers are small and stay on im2col + GEMM.
/// - Calls are serialised (one lock) because the wrapping memory objects are shared.
/// - Threads: oneDNN runs OpenMP teams of ``Parallel/threadCount``, set before every call.
final class OneDNNConvolutions: @unchecked Sendable {
    static let shared: OneDNNConvolutions? = OneDNNConvolutions()

    /// Geometries oneDNN runs: both channel counts multiples of 16 (no padded blocks), not a
    /// plain matrix product, and the PyTorch output size reachable with non-negative padding
    /// on the bottom/right.
    static func takes(_ g: Conv2dGeometry) -> Bool {
        !g.isFullyConnected && g.inChannels % 16 == 0 && g.outChannels % 16 == 0
            && bottomRightPadding(g).height >= 0 && bottomRightPadding(g).width >= 0
    }

    /// oneDNN wants `OH = (H + top + bottom − kH) / sH + 1` exactly; PyTorch's floor division may
    /// leave rows unused, so the bottom padding is what makes the sizes agree.
    static func bottomRightPadding(_ g: Conv2dGeometry) -> (height: Int, width: Int) {
        ((g.outHeight - 1) * g.strideHeight + g.kernelHeight - g.inHeight - g.paddingHeight,
         (g.outWidth - 1) * g.strideWidth + g.kernelWidth - g.inWidth - g.paddingWidth)
    }

    private struct Key: Hashable {
        let geometry: Conv2dGeometry, pass: ConvolutionPass
    }

    /// One argument of a primitive: the caller's plain array, and, when oneDNN chose another
    /// layout, its blocked memory and the reorder between the two.
    private struct Argument {
        let index: Int32
        let plain: dnnl_memory_t
        let blocked: dnnl_memory_t?
        let blockedFloats: Int
        let reorder: dnnl_primitive_t?
        let isOutput: Bool

        func destroy() {
            dnnl_memory_destroy(plain)
            if let blocked { dnnl_memory_destroy(blocked) }
            if let reorder { dnnl_primitive_destroy(reorder) }
        }
    }

    private final class Plan {
        let primitive: dnnl_primitive_t
        let arguments: [Argument]
        let implementation: String
        init(primitive: dnnl_primitive_t, arguments: [Argument], implementation: String) {
            self.primitive = primitive; self.arguments = arguments; self.implementation = implementation
        }
        deinit {
            dnnl_primitive_destroy(primitive)
            for a in arguments { a.destroy() }
        }
    }

    private let engine: dnnl_engine_t
    private let stream: dnnl_stream_t
    private let lock = NSLock()
    /// nil marks a geometry oneDNN declined (it then stays on im2col + GEMM).
    private var plans: [Key: Plan?] = [:]
    /// Plans kept at most; all are dropped when a new one would exceed it (batch sizes vary
    /// only between training, the last partial batch and evaluation).
    private let planCapacity = 64

    private init?() {
        let env = ProcessInfo.processInfo.environment
        if env["ONEDNN_MAX_CPU_ISA"] == nil && env["DNNL_MAX_CPU_ISA"] == nil {
            _ = dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx512_core)
        }
        var engine: dnnl_engine_t?, stream: dnnl_stream_t?
        guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, let engine else { return nil }
        guard dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let stream else {
            dnnl_engine_destroy(engine); return nil
        }
        self.engine = engine; self.stream = stream
    }

    func implementation(_ pass: ConvolutionPass, _ g: Conv2dGeometry) -> String? {
        lock.lock(); defer { lock.unlock() }
        return plan(Key(geometry: g, pass: pass))?.implementation
    }

    func run(
        _ pass: ConvolutionPass, _ g: Conv2dGeometry,
        _ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>
    ) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard let plan = plan(Key(geometry: g, pass: pass)) else { return false }
        omp_set_num_threads(Int32(Parallel.threadCount))
        let pointers = [UnsafeMutableRawPointer(mutating: first), UnsafeMutableRawPointer(mutating: second),
                        UnsafeMutableRawPointer(output)]
        // Blocked scratch for each argument that needs it, alive until the stream is done.
        var scratch: [Tensor] = []
        scratch.reserveCapacity(3)
        withUnsafeTemporaryAllocation(of: dnnl_exec_arg_t.self, capacity: 3) { args in
            for (i, a) in plan.arguments.enumerated() {
                check(dnnl_memory_set_data_handle(a.plain, pointers[i]), "set data handle")
                var memory = a.plain
                if let blocked = a.blocked, let reorder = a.reorder {
                    let buffer = Tensor(uninitializedShape: [a.blockedFloats])
                    scratch.append(buffer)
                    check(dnnl_memory_set_data_handle(blocked, UnsafeMutableRawPointer(buffer.storage.pointer)), "set data handle")
                    if !a.isOutput { execute(reorder, from: a.plain, to: blocked) }
                    memory = blocked
                }
                args[i] = dnnl_exec_arg_t(arg: a.index, memory: memory)
            }
            check(dnnl_primitive_execute(plan.primitive, stream, 3, args.baseAddress), "execute \(pass) \(g)")
            for a in plan.arguments where a.isOutput {
                if let blocked = a.blocked, let reorder = a.reorder { execute(reorder, from: blocked, to: a.plain) }
            }
        }
        check(dnnl_stream_wait(stream), "stream wait")
        withExtendedLifetime(scratch) {}
        return true
    }

    private func execute(_ reorder: dnnl_primitive_t, from: dnnl_memory_t, to: dnnl_memory_t) {
        withUnsafeTemporaryAllocation(of: dnnl_exec_arg_t.self, capacity: 2) { args in
            args[0] = dnnl_exec_arg_t(arg: Int32(swiftgan_dnnl_arg_from), memory: from)
            args[1] = dnnl_exec_arg_t(arg: Int32(swiftgan_dnnl_arg_to), memory: to)
            check(dnnl_primitive_execute(reorder, stream, 2, args.baseAddress), "reorder")
        }
    }

    private func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        precondition(status == dnnl_success, "oneDNN: \(what()) failed with status \(status.rawValue)")
    }

    /// The plan for `key`, built on first use. Call with the lock held.
    private func plan(_ key: Key) -> Plan? {
        if let known = plans[key] { return known }
        if plans.count >= planCapacity { plans.removeAll() }
        let built = buildPlan(key)
        plans[key] = built
        return built
    }

    private func buildPlan(_ key: Key) -> Plan? {
        let g = key.geometry
        let (bottom, right) = Self.bottomRightPadding(g)
        var pd: dnnl_primitive_desc_t?
        guard swiftgan_dnnl_convolution_pd(
            &pd, engine, Int32(key.pass.rawValue),
            Int32(g.batch), Int32(g.inChannels), Int32(g.inHeight), Int32(g.inWidth),
            Int32(g.outChannels), Int32(g.outHeight), Int32(g.outWidth),
            Int32(g.kernelHeight), Int32(g.kernelWidth), Int32(g.strideHeight), Int32(g.strideWidth),
            Int32(g.paddingHeight), Int32(g.paddingWidth), Int32(bottom), Int32(right)) == dnnl_success,
            let pd
        else { return nil }
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
        var primitive: dnnl_primitive_t?
        guard dnnl_primitive_create(&primitive, pd) == dnnl_success, let primitive else {
            for a in arguments { a.destroy() }
            return nil
        }
        var name: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name)
        return Plan(primitive: primitive, arguments: arguments, implementation: name.map { String(cString: $0) } ?? "?")
    }

    private func makeArgument(
        _ pd: dnnl_primitive_desc_t, _ index: Int32, _ query: dnnl_query_t, _ shape: [Int], _ isOutput: Bool
    ) -> Argument? {
        guard let chosen = dnnl_primitive_desc_query_md(pd, query, 0) else { return nil }
        var plainDescriptor = dnnl_memory_desc_t()
        guard swiftgan_dnnl_plain_md(&plainDescriptor, Int32(shape[0]), Int32(shape[1]), Int32(shape[2]), Int32(shape[3])) == dnnl_success
        else { return nil }
        var plain: dnnl_memory_t?
        guard dnnl_memory_create(&plain, &plainDescriptor, engine, nil) == dnnl_success, let plain else { return nil }
        if dnnl_memory_desc_equal(chosen, &plainDescriptor) != 0 {
            return Argument(index: index, plain: plain, blocked: nil, blockedFloats: 0, reorder: nil, isOutput: isOutput)
        }
        var blocked: dnnl_memory_t?, reorderPD: dnnl_primitive_desc_t?, reorder: dnnl_primitive_t?
        let ok = withUnsafePointer(to: &plainDescriptor) { plainPointer in
            dnnl_memory_create(&blocked, chosen, engine, nil) == dnnl_success
                && dnnl_reorder_primitive_desc_create(
                    &reorderPD, isOutput ? chosen : plainPointer, engine, isOutput ? plainPointer : chosen, engine, nil) == dnnl_success
        }
        if ok, let reorderPD { _ = dnnl_primitive_create(&reorder, reorderPD) }
        if let reorderPD { dnnl_primitive_desc_destroy(reorderPD) }
        guard ok, let blocked, let reorder else {
            dnnl_memory_destroy(plain)
            if let blocked { dnnl_memory_destroy(blocked) }
            return nil
        }
        let bytes = dnnl_memory_desc_get_size(chosen)
        return Argument(index: index, plain: plain, blocked: blocked, blockedFloats: (bytes + 3) / 4,
                        reorder: reorder, isOutput: isOutput)
    }
}
#endif

extension ConvolutionKernels {
    /// True where oneDNN is linked and its CPU engine started.
    public static var oneDNNAvailable: Bool {
        #if canImport(CDNNL)
        return OneDNNConvolutions.shared != nil
        #else
        return false
        #endif
    }
}
