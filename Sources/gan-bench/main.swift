// gan-bench: performance figures as JSON lines (release build: `swift run -c release gan-bench`).
//
//   gan-bench kernels [--batch 64] [--threads 2]
//       GFLOP/s of sgemm (the BLAS ceiling, measured in the same run), and of Conv2d /
//       ConvTranspose2d forward, input-gradient and weight-gradient at the dcgan28 layer shapes
//       of ../shared/reference/benchmarks.md.
import Foundation
import GANNN

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Median seconds per call of `body` over `repeats` timed blocks after a warm-up.
func measure(repeats: Int = 7, minimumSeconds: Double = 0.05, _ body: () -> Void) -> Double {
    body()
    var times = [Double]()
    for _ in 0..<repeats {
        var calls = 0
        let start = now()
        repeat { body(); calls += 1 } while now() - start < minimumSeconds
        times.append((now() - start) / Double(calls))
    }
    return times.sorted()[times.count / 2]
}

func emit(_ fields: [(String, Any)]) {
    let parts = fields.map { key, value -> String in
        switch value {
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

func kernels() {
    let batch = option("--batch", default: 64), threads = option("--threads", default: 2)
    Parallel.threadCount = threads
    BLAS.setThreadCount(threads)
    let rng = RandomGenerator(seed: 1)

    // The ceiling: a large square sgemm.
    let n = 1024
    let a = rng.normal([n, n]), b = rng.normal([n, n])
    let tGemm = measure { _ = Tensor.matmul(a, b) }
    let ceiling = 2 * Double(n * n * n) / tGemm / 1e9
    emit([("bench", "sgemm"), ("m", n), ("n", n), ("k", n), ("threads", threads), ("gflop_per_s", ceiling)])

    // dcgan28 layers: (name, geometry of the convolution, transposed?)
    let layers: [(String, Conv2dGeometry, Bool)] = [
        ("G.convT1 100->256 k7", Conv2dGeometry(batch: batch, inChannels: 256, inHeight: 7, inWidth: 7, outChannels: 100, kernel: (7, 7)), true),
        ("G.convT2 256->128 k4s2p1", Conv2dGeometry(batch: batch, inChannels: 128, inHeight: 14, inWidth: 14, outChannels: 256, kernel: (4, 4), stride: (2, 2), padding: (1, 1)), true),
        ("G.convT3 128->1 k4s2p1", Conv2dGeometry(batch: batch, inChannels: 1, inHeight: 28, inWidth: 28, outChannels: 128, kernel: (4, 4), stride: (2, 2), padding: (1, 1)), true),
        ("D.conv1 1->64 k4s2p1", Conv2dGeometry(batch: batch, inChannels: 1, inHeight: 28, inWidth: 28, outChannels: 64, kernel: (4, 4), stride: (2, 2), padding: (1, 1)), false),
        ("D.conv2 64->128 k4s2p1", Conv2dGeometry(batch: batch, inChannels: 64, inHeight: 14, inWidth: 14, outChannels: 128, kernel: (4, 4), stride: (2, 2), padding: (1, 1)), false),
        ("D.conv3 128->1 k7", Conv2dGeometry(batch: batch, inChannels: 128, inHeight: 7, inWidth: 7, outChannels: 1, kernel: (7, 7)), false),
    ]
    for (name, g, transposed) in layers {
        let x = rng.normal(g.inputShape), w = rng.normal(g.weightShape), dy = rng.normal(g.outputShape)
        let flops = 2 * Double(g.multiplyAdds)
        // For a transposed layer, its forward is the convolution's input gradient and vice versa.
        let passes: [(String, () -> Void)] = [
            ("conv_forward", { _ = ConvolutionKernels.conv2dForward(input: x, weight: w, geometry: g) }),
            ("conv_backward_input", { _ = ConvolutionKernels.conv2dBackwardInput(outputGradient: dy, weight: w, geometry: g) }),
            ("conv_backward_weight", { _ = ConvolutionKernels.conv2dBackwardWeight(input: x, outputGradient: dy, geometry: g) }),
        ]
        for (pass, body) in passes {
            let label: String
            if transposed {
                label = pass == "conv_forward" ? "backward_input" : pass == "conv_backward_input" ? "forward" : "backward_weight"
            } else {
                label = String(pass.dropFirst("conv_".count))
            }
            let t = measure(body)
            emit([("bench", transposed ? "conv_transpose2d" : "conv2d"), ("layer", name), ("pass", label),
                  ("batch", batch), ("threads", threads), ("ms", t * 1e3), ("gflop_per_s", flops / t / 1e9),
                  ("fraction_of_sgemm", flops / t / 1e9 / ceiling)])
        }
    }
}

let command = CommandLine.arguments.dropFirst().first ?? "kernels"
switch command {
case "kernels": kernels()
default:
    FileHandle.standardError.write("gan-bench: unknown benchmark '\(command)'; available: kernels\n".data(using: .utf8)!)
    exit(2)
}
