/// 2-D convolution layer, PyTorch `nn.Conv2d` (square kernels, no dilation or groups).
///
/// - `weight`: `[outChannels, inChannels, k, k]`, `bias`: `[outChannels]`, U(±1/√(inChannels·k²)).
/// - Input `[N, inChannels, H, W]` → `[N, outChannels, (H + 2p − k)/s + 1, (W + 2p − k)/s + 1]`.
public final class Conv2d: Module, Layer {
    public let weight: Variable
    public let bias: Variable?
    public let stride: Int, padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize k: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, rng: RandomGenerator) {
        self.stride = stride
        self.padding = padding
        let bound = Initialization.defaultBound(fanIn: inChannels * k * k)
        weight = Variable(Initialization.uniform([outChannels, inChannels, k, k], bound: bound, rng: rng), requiresGradient: true)
        self.bias = bias ? Variable(Initialization.uniform([outChannels], bound: bound, rng: rng), requiresGradient: true) : nil
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        conv2d(x, weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding))
    }
}

/// 2-D transposed convolution layer, PyTorch `nn.ConvTranspose2d` (square kernels).
///
/// - `weight`: `[inChannels, outChannels, k, k]` (PyTorch's layout), `bias`: `[outChannels]`;
///   PyTorch takes the fan-in from weight dimension 1, so both are U(±1/√(outChannels·k²)).
/// - Input `[N, inChannels, H, W]` → `[N, outChannels, (H − 1)s − 2p + k + outputPadding, …]`.
public final class ConvTranspose2d: Module, Layer {
    public let weight: Variable
    public let bias: Variable?
    public let stride: Int, padding: Int, outputPadding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize k: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, bias: Bool = true, rng: RandomGenerator) {
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        let bound = Initialization.defaultBound(fanIn: outChannels * k * k)
        weight = Variable(Initialization.uniform([inChannels, outChannels, k, k], bound: bound, rng: rng), requiresGradient: true)
        self.bias = bias ? Variable(Initialization.uniform([outChannels], bound: bound, rng: rng), requiresGradient: true) : nil
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        convTranspose2d(x, weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding),
                        outputPadding: (outputPadding, outputPadding))
    }
}
