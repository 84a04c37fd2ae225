// gan-bench: performance figures as JSON lines (release build: `swift run -c release gan-bench`).
//
//   gan-bench kernels [--batch 64] [--threads 2] [--layer NAME]
//       GFLOP/s of sgemm (the BLAS ceiling, measured in the same run), and of Conv2d /
//       ConvTranspose2d forward, input-gradient and weight-gradient at the dcgan28 layer shapes
//       of ../shared/reference/benchmarks.md; where oneDNN runs a pass, im2col + GEMM is timed
//       beside it in alternating blocks ("chosen" marks the kernel the step uses). `--layer`
//       keeps the layers whose name starts with NAME (e.g. G.convT2) and skips the memory kernels.
//   gan-bench sgemm [--threads 2]
//       The sgemm ceiling alone.
//   gan-bench gemm [--threads 2]
//       GFLOP/s of every matrix-product shape of the mlpgan step (its Linear and Maxout layers'
//       forward, input-gradient and weight-gradient products at batch 100), and of squares from
//       256 to 2048 and sampling's largest product (G's first layer at batch 1,000), with each
//       library linked (OpenBLAS or Accelerate, and oneDNN's sgemm), to decide which runs them.
//   gan-bench memory [--batch 64] [--threads 2]
//       Batch norm, LeakyReLU, the two fused (forward), and the conversions to and from oneDNN's
//       activation layouts on dcgan28's activations, and to and from its weight layouts on the
//       wide layers' weights, against a parallel copy of the same bytes (also at the end of `kernels`).
//   gan-bench dcgan28|mlpgan|sample [--batch B] [--threads 2] [--iterations N] [--mnist DIR] [--unfused]
//       The workloads of benchmarks.md with SwiftGAN's own training step (bench/compare.sh runs
//       them beside bench/pytorch_bench.py): images/s (median iteration), GFLOP/s by the spec's
//       counts, peak RSS, heap allocations per iteration (when bench/malloc_count.c is preloaded),
//       tensor buffers taken from the system per iteration, resident size after setup.
import Foundation
import GAN

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Median seconds per call of `body` over `repeats` timed blocks after a warm-up.
func measure(repeats: Int = 7, minimumSeconds: Double = 0.05, _ body: () -> Void) -> Double {
    withoutActuallyEscaping(body) { measureAlternating(repeats: repeats, minimumSeconds: minimumSeconds, [$0])[0] }
}

/// Median seconds per call of each body, timed in alternating blocks so that both see the same
/// machine (the shared machine's speed drifts by tens of percent within a minute).
func measureAlternating(repeats: Int = 7, minimumSeconds: Double = 0.05, _ bodies: [() -> Void]) -> [Double] {
    var times = bodies.map { _ in [Double]() }
    for body in bodies { body() }
    for _ in 0..<repeats {
        for (b, body) in bodies.enumerated() {
            var calls = 0
            let start = now()
            repeat { body(); calls += 1 } while now() - start < minimumSeconds
            times[b].append((now() - start) / Double(calls))
        }
    }
    return times.map { $0.sorted()[$0.count / 2] }
}

func emit(_ fields: [(String, Any)]) {
    let parts = fields.map { key, value -> String in
        switch value {
        case let s as String where s == "null": return "\"\(key)\":null"
        case let s as String: return "\"\(key)\":\"\(s)\""
        case let d as Double: return "\"\(key)\":\(String(format: "%.3f", d))"
        default: return "\"\(key)\":\(value)"
        }
    }
    print("{" + parts.joined(separator: ",") + "}")
    fflush(stdout)
}

func option(_ name: String, default value: Int) -> Int {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) { return v }
    return value
}

/// Seconds per call of `body` with each linked BLAS library running the products, timed in
/// alternating blocks (see ``measureAlternating(repeats:minimumSeconds:_:)``), with each
/// library's kernel set; ``BLAS/library`` and ``BLAS/batchLibrary`` are restored afterwards.
func measureEachLibrary(_ body: () -> Void) -> [(library: BLAS.Library, kernels: String, seconds: Double)] {
    let chosen = (BLAS.library, BLAS.batchLibrary)
    defer { BLAS.restore(chosen) }
    let libraries = BLAS.linkedLibraries
    let kernels = libraries.map { BLAS.kernelSet(of: $0) }
    let seconds = withoutActuallyEscaping(body) { body in
        measureAlternating(libraries.map { library in { BLAS.runAllProducts(on: library); body() } })
    }
    return libraries.indices.map { (libraries[$0], kernels[$0], seconds[$0]) }
}

/// The BLAS ceiling: GFLOP/s of a large square sgemm through ``BLAS/gemm``, the best of the
/// linked libraries (the one that runs the workloads' products was chosen on their shapes, see
/// `gan-bench gemm`, and can be the slower one at this size), printed as a JSON line with each
/// library's figure.
@discardableResult
func sgemmCeiling(threads: Int) -> Double {
    let n = 1024, rng = RandomGenerator(seed: 1)
    let a = rng.normal([n, n]), b = rng.normal([n, n])
    let each = measureEachLibrary { _ = Tensor.matmul(a, b) }.map { ($0.library, $0.kernels, 2 * Double(n * n * n) / $0.seconds / 1e9) }
    let best = each.max { $0.2 < $1.2 }!
    emit([("bench", "sgemm"), ("m", n), ("n", n), ("k", n), ("threads", threads), ("gflop_per_s", best.2),
          ("blas_kernels", best.1)] + each.map { ($0.0.rawValue.lowercased() + "_gflop_per_s", $0.2) })
    return best.2
}

/// Every product of an mlpgan step, by layer and pass, timed with each linked sgemm.
func gemmShapes(threads: Int) {
    let batch = option("--batch", default: 100)
    let rng = RandomGenerator(seed: 1)
    // (layer, in, out): G's three Linear layers, D's two Maxout layers (240 units × 5 pieces) and its logit.
    let layers = [("G.linear1", 100, 1200), ("G.linear2", 1200, 1200), ("G.linear3", 1200, 784),
                  ("D.maxout1", 784, 1200), ("D.maxout2", 240, 1200), ("D.linear", 240, 1)]
    for (name, inputs, outputs) in layers {
        let x = rng.normal([batch, inputs]), w = rng.normal([outputs, inputs]), dy = rng.normal([batch, outputs])
        // (pass, m, n, k, body): y = x·wᵀ, dx = dy·w, dw = dyᵀ·x.
        let passes: [(String, Int, Int, Int, () -> Void)] = [
            ("forward", batch, outputs, inputs, { _ = Tensor.matmul(x, w, transposeB: true) }),
            ("input_grad", batch, inputs, outputs, { _ = Tensor.matmul(dy, w) }),
            ("weight_grad", outputs, inputs, batch, { _ = Tensor.matmul(dy, x, transposeA: true) }),
        ]
        for (pass, m, n, k, body) in passes { timeProduct(name, pass, m: m, n: n, k: k, body) }
    }
    // Larger products: squares, and dcgan28's G.convT1 (1×1 input: a plain product) at batch 1,000.
    let larger = [256, 512, 768, 1000, 1024, 1536, 2048].map { ("square", $0, $0, $0) }
        + [("sample G.convT1", 1000, 256 * 49, 100)]
    for (name, m, n, k) in larger {
        let a = rng.normal([m, k]), b = rng.normal([k, n])
        timeProduct(name, "forward", m: m, n: n, k: k) { _ = Tensor.matmul(a, b) }
    }
}

/// Times `body`, a product of `m·n·k` multiply-adds, with each linked library in alternating
/// blocks; one JSON line each.
func timeProduct(_ name: String, _ pass: String, m: Int, n: Int, k: Int, _ body: () -> Void) {
    let chosen = BLAS.library
    for (library, kernels, seconds) in measureEachLibrary(body) {
        emit([("bench", "gemm"), ("layer", name), ("pass", pass), ("m", m), ("n", n), ("k", k),
              ("threads", threads), ("blas_kernels", kernels),
              ("gflop_per_s", 2 * Double(m * n * k) / seconds / 1e9), ("chosen", library == chosen)])
    }
}

func kernels(threads: Int) {
    let batch = option("--batch", default: 64)
    let ceiling = sgemmCeiling(threads: threads)
    let rng = RandomGenerator(seed: 1)

    // dcgan28 layers: (name, geometry of the convolution, transposed?)
    let layers: [(String, Conv2dGeometry, Bool)] = [
        ("G.convT1 100->256 k7", Conv2dGeometry(batch: batch, inChannels: 256, inHeight: 7, inWidth: 7, outChannels: 100, kernel: (7, 7)), true),
        ("G.convT2 256->128 k4s2p1", Conv2dGeometry(batch: batch, inChannels: 128, inHeight: 14, inWidth: 14, outChannels: 256, kernel: (4, 4), stride: (2, 2), padding: (1, 1)), true),
        ("G.convT3 128->1 k4s2p1", Conv2dGeometry(batch: batch, inChannels: 1, inHeight: 28, inWidth: 28, outChannels: 128, kernel: (4, 4), stride: (2, 2), padding: (1, 1)), true),
        ("D.conv1 1->64 k4s2p1", Conv2dGeometry(batch: batch, inChannels: 1, inHeight: 28, inWidth: 28, outChannels: 64, kernel: (4, 4), stride: (2, 2), padding: (1, 1)), false),
        ("D.conv2 64->128 k4s2p1", Conv2dGeometry(batch: batch, inChannels: 64, inHeight: 14, inWidth: 14, outChannels: 128, kernel: (4, 4), stride: (2, 2), padding: (1, 1)), false),
        ("D.conv3 128->1 k7", Conv2dGeometry(batch: batch, inChannels: 128, inHeight: 7, inWidth: 7, outChannels: 1, kernel: (7, 7)), false),
    ]
    let only = stringOption("--layer")
    for (name, g, transposed) in layers where only == nil || name.hasPrefix(only!) {
        let x = rng.normal(g.inputShape), w = rng.normal(g.weightShape), dy = rng.normal(g.outputShape)
        let flops = 2 * Double(g.multiplyAdds)
        // For a transposed layer, its forward is the convolution's input gradient and vice versa.
        // (pass, the kernel that runs it, body)
        let names = ConvolutionKernels.implementation(of: g)
        let useWinograd = ConvolutionKernels.useWinograd, useOneDNN = ConvolutionKernels.useOneDNN
        ConvolutionKernels.useWinograd = false
        let oneDNNNames = ConvolutionKernels.implementation(of: g)
        ConvolutionKernels.useWinograd = useWinograd
        let passes: [(String, String, () -> Void)] = [
            ("conv_forward", names.forward, { _ = ConvolutionKernels.conv2dForward(input: x, weight: w, geometry: g) }),
            ("conv_backward_input", names.backwardInput,
             { _ = ConvolutionKernels.conv2dBackwardInput(outputGradient: dy, weight: w, geometry: g) }),
            ("conv_backward_weight", names.backwardWeight,
             { _ = ConvolutionKernels.conv2dBackwardWeight(input: x, outputGradient: dy, geometry: g) }),
        ]
        for (index, (pass, chosen, body)) in passes.enumerated() {
            let label: String
            if transposed {
                label = pass == "conv_forward" ? "backward_input" : pass == "conv_backward_input" ? "forward" : "backward_weight"
            } else {
                label = String(pass.dropFirst("conv_".count))
            }
            // Where Winograd or oneDNN runs the pass, the kernels below it are timed beside it, alternating.
            let oneDNNName = [oneDNNNames.forward, oneDNNNames.backwardInput, oneDNNNames.backwardWeight][index]
            var kernels = [chosen]
            if chosen == "winograd" && oneDNNName != "im2col+gemm" { kernels.append(oneDNNName) }
            if chosen != "im2col+gemm" { kernels.append("im2col+gemm") }
            let bodies = kernels.map { kernel in
                {
                    ConvolutionKernels.useWinograd = kernel == "winograd"
                    ConvolutionKernels.useOneDNN = kernel != "im2col+gemm"
                    body()
                }
            }
            let times = measureAlternating(bodies)
            ConvolutionKernels.useWinograd = useWinograd
            ConvolutionKernels.useOneDNN = useOneDNN
            func report(_ kernel: String, _ t: Double, _ more: [(String, Any)] = []) {
                emit([("bench", transposed ? "conv_transpose2d" : "conv2d"), ("layer", name), ("pass", label),
                      ("batch", batch), ("threads", threads), ("ms", t * 1e3), ("gflop_per_s", flops / t / 1e9),
                      ("fraction_of_sgemm", flops / t / 1e9 / ceiling), ("kernel", kernel), ("chosen", kernel == chosen)] + more)
            }
            for (kernel, t) in zip(kernels, times) { report(kernel, t) }
            // Winograd's products on each linked BLAS library, alternating.
            if chosen == "winograd" && BLAS.linkedLibraries.count > 1 {
                for (library, blasKernels, t) in measureEachLibrary(body) {
                    report("winograd", t, [("blas_kernels", blasKernels), ("blas_chosen", library == BLAS.batchLibrary)])
                }
            }
        }
    }
    if only == nil { memoryBoundKernels(batch: batch, threads: threads) }
}

/// The step's memory-bound kernels on dcgan28's activations, each against a parallel copy of
/// the same bytes timed beside it: GB/s of the traffic the kernel cannot avoid (every input
/// read once, every output written once) and that as a fraction of the copy's.
func memoryBoundKernels(batch: Int, threads: Int) {
    let rng = RandomGenerator(seed: 2)
    // (layer, activation shape)
    let activations: [(String, [Int])] = [
        ("G.bn1 256x7x7", [batch, 256, 7, 7]), ("G.bn2 128x14x14", [batch, 128, 14, 14]),
        ("D.act1 64x14x14", [batch, 64, 14, 14]), ("D.bn 128x7x7", [batch, 128, 7, 7]),
    ]
    for (name, shape) in activations {
        let x = rng.normal(shape), dy = rng.normal(shape)
        let c = shape[1], weight = rng.normal([c]), bias = rng.normal([c])
        let statistics = NormalizationKernels.batchNormForward(x, weight: weight, bias: bias, epsilon: 1e-5).statistics
        let pixels = shape[2] * shape[3]
        let converted = UnsafeMutablePointer<Float>.allocate(capacity: x.count)
        let plain = UnsafeMutablePointer<Float>.allocate(capacity: x.count)
        defer { converted.deallocate(); plain.deallocate() }
        /// The conversion into (or out of) oneDNN's `layout`, the batch split across the threads
        /// (a convolution converts each part of 32 images on the worker that runs it).
        func convert(_ layout: ActivationLayout, toPlain: Bool) {
            Parallel.forRanges(batch, costPerElement: c * pixels) { images in
                let offset = images.lowerBound * c * pixels
                if toPlain {
                    ChannelBlocking.toPlain(converted + offset, plain + offset,
                                            images: images.count, channels: c, pixels: pixels, layout: layout)
                } else {
                    ChannelBlocking.toBlocked(x.pointer + offset, converted + offset,
                                              images: images.count, channels: c, pixels: pixels, layout: layout)
                }
            }
        }
        // (kernel, tensors read and written per call, body)
        let kernels: [(String, Int, () -> Void)] = [
            ("batch_norm_forward", 2, { _ = NormalizationKernels.batchNormForward(x, weight: weight, bias: bias, epsilon: 1e-5) }),
            ("batch_norm_backward", 3, { _ = NormalizationKernels.batchNormBackward(dy, input: x, weight: weight, statistics: statistics) }),
            ("leaky_relu_forward", 2, { _ = x.leakyRelu(slope: 0.2) }),
            ("leaky_relu_backward", 3, { _ = Tensor.leakyReluBackward(dy, input: x, slope: 0.2) }),
            // Batch norm with the LeakyReLU fused (what `Sequential` runs), against the sum of the
            // two forward rows above.
            ("batch_norm_leaky_relu_forward", 2, {
                _ = NormalizationKernels.batchNormForward(x, weight: weight, bias: bias, epsilon: 1e-5, activationSlope: 0.2)
            }),
            ("to_nchw16c", 2, { convert(.blocked(16), toPlain: false) }),
            ("from_nchw16c", 2, { convert(.blocked(16), toPlain: true) }),
            ("to_nhwc", 2, { convert(.channelsLast, toPlain: false) }),
            ("from_nhwc", 2, { convert(.channelsLast, toPlain: true) }),
        ]
        emitAgainstCopy(kernels, of: x, layer: name, batch: batch, threads: threads)
    }
    // The wide layers' weights in the layouts oneDNN's kernels pick for them here (`gan-bench
    // kernels` names the kernels): into each once per call, out of OIhw16i16o for a weight gradient.
    for (name, shape) in [("D.conv2 weight 128x64x4x4", [128, 64, 4, 4]), ("G.convT2 weight 256x128x4x4", [256, 128, 4, 4])] {
        let weight = rng.normal(shape)
        let (i, h, w) = (shape[1], shape[2], shape[3])
        // (layout, outer strides, inner blocks): [o/16][i/16][h][w][16i][16o], [..][16o][16i], [o/32][h][w][i][32o].
        let layouts: [(String, [Int], [(dimension: Int, size: Int)])] = [
            ("OIhw16i16o", [i / 16 * h * w * 256, h * w * 256, w * 256, 256], [(1, 16), (0, 16)]),
            ("OIhw16o16i", [i / 16 * h * w * 256, h * w * 256, w * 256, 256], [(0, 16), (1, 16)]),
            ("Ohwi32o", [h * w * i * 32, 32, w * i * 32, i * 32], [(0, 32)]),
        ]
        let blocked = UnsafeMutablePointer<Float>.allocate(capacity: weight.count)
        let plain = UnsafeMutablePointer<Float>.allocate(capacity: weight.count)
        defer { blocked.deallocate(); plain.deallocate() }
        var kernels: [(String, Int, () -> Void)] = []
        for (layoutName, strides, blocks) in layouts {
            let layout = BlockedLayout(dimensions: shape, paddedDimensions: shape, outerStrides: strides, innerBlocks: blocks)
            kernels.append(("to_" + layoutName, 2, { ChannelBlocking.toBlocked(weight.pointer, blocked, layout: layout) }))
            kernels.append(("from_" + layoutName, 2, { ChannelBlocking.toPlain(blocked, plain, layout: layout) }))
        }
        emitAgainstCopy(kernels, of: weight, layer: name, batch: batch, threads: threads)
    }
}

/// Times each `(kernel, tensors read and written per call, body)` beside a parallel copy of `x`
/// and emits the kernel's GB/s (`tensors` times `x`'s bytes per call) and that as a fraction
/// of the copy's.
func emitAgainstCopy(_ kernels: [(String, Int, () -> Void)], of x: Tensor, layer: String, batch: Int, threads: Int) {
    let bytes = Double(x.count * MemoryLayout<Float>.stride)
    for (kernel, tensors, body) in kernels {
        let copy = measure { _ = parallelCopy(x) }
        let t = measure(body)
        // A copy moves 2 tensors' bytes; the kernel moves `tensors`.
        let gbPerSecond = Double(tensors) * bytes / t / 1e9, copyGBPerSecond = 2 * bytes / copy / 1e9
        emit([("bench", kernel), ("layer", layer), ("batch", batch), ("threads", threads), ("ms", t * 1e3),
              ("gb_per_s", gbPerSecond), ("fraction_of_copy", gbPerSecond / copyGBPerSecond)])
    }
}

/// A copy of `x` split across threads the way the elementwise kernels split their work.
func parallelCopy(_ x: Tensor) -> Tensor {
    var out = Tensor(uninitializedShape: x.shape)
    out.withUnsafeMutableBufferPointer { destination in
        let to = destination.baseAddress!, from = x.pointer
        Parallel.forRanges(x.count) { r in (to + r.lowerBound).update(from: from + r.lowerBound, count: r.count) }
    }
    return out
}

/// Peak resident memory (VmHWM) in MiB.
func peakResidentMB() -> Double { residentMB(field: "VmHWM:") }

/// Restarts the peak resident size (VmHWM) at the current one: "5" to /proc/self/clear_refs
/// (Linux; elsewhere nothing happens and the peak stays the process's).
func resetPeakResident() {
    guard let file = fopen("/proc/self/clear_refs", "w") else { return }
    fputs("5", file)
    fclose(file)
}

/// A memory field of /proc/self/status ("VmHWM:" peak, "VmRSS:" current) in MiB.
func residentMB(field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
    return kb / 1024
}

/// A process-wide counter of bench/malloc_count.c when it is preloaded
/// (`LD_PRELOAD=.../malloc_count.so`, as bench/compare.sh does), else nil:
/// `malloc_count_calls` (allocations so far) or `malloc_count_bytes` (the bytes they asked for).
func preloadedCounter(_ symbolName: String) -> (@convention(c) () -> UInt64)? {
    #if os(Linux)
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), symbolName) else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) () -> UInt64).self)
    #else
    return nil
    #endif
}
let allocationCount = preloadedCounter("malloc_count_calls")
let allocatedBytes = preloadedCounter("malloc_count_bytes")

/// Median images per second of `step` (one call = `batch` images), after a warm-up, and heap
/// allocations and allocated bytes per steady-state iteration when the counter is preloaded.
func workload(_ name: String, batch: Int, threads: Int, flopPerImage: Double, _ step: () -> Void) {
    let iterations = option("--iterations", default: 30)
    // The process's peak so far (data, model) and its size now; the high-water mark then restarts,
    // so that what the steps add is measured by itself (bench/pytorch_bench.py does the same).
    let setupMB = residentMB(field: "VmRSS:"), loadingPeakMB = peakResidentMB()
    resetPeakResident()
    for _ in 0..<3 { step() }
    var times = [Double]()
    let bytesBefore = allocatedBytes?(), allocationsBefore = allocationCount?()
    let buffersBefore = BufferPool.currentStatistics.allocated
    for _ in 0..<iterations {
        let t = now(); step(); times.append(now() - t)
    }
    // Bytes first: the second read of the count is where bench/malloc_trace.c writes its file.
    let bytesAfter = allocatedBytes?(), allocationsAfter = allocationCount?()
    let allocations: Any = allocationsAfter.map { Double($0 - allocationsBefore!) / Double(iterations) } ?? "null"
    let bytes: Any = bytesAfter.map { Double($0 - bytesBefore!) / Double(iterations) / 1024 } ?? "null"
    let bufferAllocations = Double(BufferPool.currentStatistics.allocated - buffersBefore) / Double(iterations)
    let median = times.sorted()[times.count / 2]
    let stepPeak = peakResidentMB()
    emit([("bench", name), ("impl", "swiftgan"), ("batch", batch), ("threads", threads),
          ("img_per_s", Double(batch) / median), ("gflop_per_s", flopPerImage * Double(batch) / median / 1e9),
          ("peak_rss_mb", max(loadingPeakMB, stepPeak)), ("allocs_per_iter", allocations), ("alloc_kib_per_iter", bytes),
          // What the steps added to the resident size: their peak less `setup_rss_mb` below.
          ("step_rss_mb", stepPeak - setupMB),
          // Tensor buffers taken from the system allocator (not the BufferPool) per timed iteration,
          // and the resident size once the model and data were loaded, before the first step.
          ("tensor_buffer_allocs_per_iter", bufferAllocations), ("setup_rss_mb", setupMB),
          // Which kernels ran: the products, and the wide (≥ 16-channel) convolutions.
          ("gemm_kernels", BLAS.kernelSet), ("wide_conv_kernels", ConvolutionKernels.wideLayerKernels)])
}

func trainingWorkload(
    _ model: TrainingConfig.Model, name: String, defaultBatch: Int, threads: Int, flopPerImage: Double
) throws {
    var c = TrainingConfig.preset(model)
    c.batchSize = option("--batch", default: defaultBatch)
    c.steps = 1_000_000
    c.epochs = nil
    c.dataDirectory = stringOption("--mnist") ?? "../shared/data/mnist"
    let trainer = try Trainer(config: c)
    workload(name, batch: c.batchSize, threads: threads, flopPerImage: flopPerImage) { trainer.trainStep() }
}

func stringOption(_ name: String) -> String? {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
    return nil
}

// As the `gan` tool: large transient buffers (oneDNN's sgemm packing) mapped and unmapped, not
// left in heaps glibc keeps.
BufferPool.pinMallocMmapThreshold()
let command = CommandLine.arguments.dropFirst().first ?? "kernels"
// Every benchmark runs on `--threads` threads (SwiftGAN's workers; OpenBLAS and oneDNN single-threaded).
let threads = option("--threads", default: 2)
Parallel.threadCount = threads
// `--unfused`: batch norm and the (Leaky)ReLU after it as two ops, to measure what fusing them buys.
if CommandLine.arguments.contains("--unfused") { Sequential.fusesBatchNormActivation = false }
do {
    switch command {
    case "kernels": kernels(threads: threads)
    case "sgemm": sgemmCeiling(threads: threads)
    case "gemm": gemmShapes(threads: threads)
    case "memory": memoryBoundKernels(batch: option("--batch", default: 64), threads: threads)
    // Multiply-adds per image per iteration from benchmarks.md (work skipped legitimately still counts).
    case "dcgan28":
        try trainingWorkload(.dcgan, name: "dcgan28", defaultBatch: 64, threads: threads, flopPerImage: 2 * 140_047_488)
    case "mlpgan":
        try trainingWorkload(.mlp, name: "mlpgan", defaultBatch: 100, threads: threads, flopPerImage: 2 * 14_104_080)
    case "sample":
        let batch = option("--batch", default: 1000)
        let model = DCGAN(rng: RandomGenerator(seed: 1))
        model.generator.eval()
        let rng = RandomGenerator(seed: 2)
        // Forward multiply-adds of G per image: convT1 100·256·7·7, convT2 256·128·4·4·7·7, convT3 128·4·4·14·14.
        let flop = 2.0 * Double(100 * 256 * 49 + 256 * 128 * 16 * 49 + 128 * 16 * 196)
        workload("sample", batch: batch, threads: threads, flopPerImage: flop) {
            _ = model.generate(rng.normal([batch, 100, 1, 1]), labels: nil, batchSize: batch)
        }
    default:
        FileHandle.standardError.write("gan-bench: unknown benchmark '\(command)'; available: kernels, memory, sgemm, gemm, dcgan28, mlpgan, sample\n".data(using: .utf8)!)
        exit(2)
    }
} catch {
    FileHandle.standardError.write("gan-bench: \(error)\n".data(using: .utf8)!)
    exit(1)
}
