// swift-tools-version: 6.0
// SwiftGAN: GANs on ordinary CPUs, no Python.
//
// Layers depend downward only:
//   GANTensor (tensors, kernels, RNG, safetensors) → GANAutograd (reverse-mode graph)
//   → GANNN (layers, losses, optimizers) → GAN (models, training, evaluation) → gan (CLI)
// GANData (datasets, image files) sits beside GANNN and depends on GANTensor only.
import PackageDescription

let package = Package(
    name: "SwiftGAN",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "GANTensor", targets: ["GANTensor"]),
        .library(name: "GANAutograd", targets: ["GANAutograd"]),
        .library(name: "GANNN", targets: ["GANNN"]),
        .library(name: "GANData", targets: ["GANData"]),
        .library(name: "GANMetrics", targets: ["GANMetrics"]),
        .library(name: "GAN", targets: ["GAN"]),
        .executable(name: "gan", targets: ["gan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Atomics for the worker pool's spin-then-sleep hand-off (macOS 13 predates `Synchronization`).
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
    ],
    targets: [
        // Native libraries from the system: OpenBLAS (Linux; macOS uses Accelerate), oneDNN (Linux) and zlib.
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        // oneDNN (Linux): direct convolution kernels for the wide layers.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // glibc's malloc.h (Linux): mallopt, to pin the mmap threshold.
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        .target(
            name: "GANTensor",
            dependencies: [
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
                .target(name: "CDNNL", condition: .when(platforms: [.linux])),
                .target(name: "CMalloc", condition: .when(platforms: [.linux])),
                .product(name: "Atomics", package: "swift-atomics"),
            ]),
        .target(name: "GANAutograd", dependencies: ["GANTensor"]),
        .target(name: "GANNN", dependencies: ["GANAutograd"]),
        .target(name: "GANData", dependencies: ["GANTensor", "CZlib"]),
        .target(
            name: "GANMetrics",
            dependencies: ["GANTensor", .target(name: "CBLAS", condition: .when(platforms: [.linux]))]),
        .target(name: "GAN", dependencies: ["GANNN", "GANData", "GANMetrics"]),
        .executableTarget(
            name: "gan",
            dependencies: ["GAN", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(name: "GANTestSupport", dependencies: ["GANAutograd"], path: "Sources/GANTestSupport"),
        .executableTarget(name: "gan-bench", dependencies: ["GAN"]),

        .testTarget(
            name: "GANTensorTests",
            dependencies: ["GANTensor", "GANTestSupport", .target(name: "CMalloc", condition: .when(platforms: [.linux]))],
            exclude: ["FuzzRegressions"]),
        .testTarget(name: "GANAutogradTests", dependencies: ["GANAutograd", "GANTestSupport"]),
        .testTarget(
            name: "GANNNTests", dependencies: ["GANNN", "GANData", "GANTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "GANDataTests", dependencies: ["GANData", "GANTestSupport"], exclude: ["FuzzRegressions"]),
        .testTarget(name: "GANMetricsTests", dependencies: ["GANMetrics", "GANTestSupport"]),
        .testTarget(name: "GANTests", dependencies: ["GAN", "GANTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
