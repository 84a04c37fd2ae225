// Convolutions as three mutually-adjoint primitives over one `Conv2dGeometry`:
//   conv(x, w)            y  = x ⋆ w
//   convInputGrad(dy, w)  dx = the adjoint of x ↦ x ⋆ w applied to dy   (= ConvTranspose2d forward)
//   convWeightGrad(x, dy) dw = the adjoint of w ↦ x ⋆ w applied to dy
// Each is bilinear, so each pullback is made of the other two, and gradients of gradients work.
// One application of a layer shares a `ConvertedOperands` between its pass and the two passes of
// its pullback, so that oneDNN converts each activation once (nil: a fresh one).

/// `given`, or new operands when the op on `a` and `b` will be recorded (its pullback may reuse
/// them); nil otherwise, so that sampling keeps no converted copies.
private func operandsToShare(_ given: ConvertedOperands?, _ a: Variable, _ b: Variable, _ g: Conv2dGeometry) -> ConvertedOperands? {
    if let given { return given }
    guard GradientMode.isEnabled && (a.requiresGradient || b.requiresGradient) else { return nil }
    return ConvolutionKernels.convertedOperands(for: g)
}

/// The operands a pullback hands on: only the weight-gradient pass reads kept copies again,
/// so without it (`need[1]` false: D's weights in a generator step) they are dropped now.
private func sharedWithWeightGradient(_ operands: ConvertedOperands?, _ need: NeededInputs) -> ConvertedOperands? {
    if need[1] { return operands }
    operands?.release()
    return nil
}

func conv2dPrimitive(_ x: Variable, _ w: Variable, _ g: Conv2dGeometry, operands: ConvertedOperands? = nil) -> Variable {
    let operands = operandsToShare(operands, x, w, g)
    let y = ConvolutionKernels.conv2dForward(input: x.value, weight: w.value, geometry: g, operands: operands)
    return Variable.record("conv2d", y, inputs: Variable.Inputs(x, w)) { dy, need in
        let shared = sharedWithWeightGradient(operands, need)
        return Variable.Cotangents(need[0] ? conv2dInputGradPrimitive(dy, w, g, operands: shared) : nil,
                need[1] ? conv2dWeightGradPrimitive(x, dy, g, operands: shared) : nil)
    }
}

func conv2dInputGradPrimitive(_ dy: Variable, _ w: Variable, _ g: Conv2dGeometry, operands: ConvertedOperands? = nil) -> Variable {
    let operands = operandsToShare(operands, dy, w, g)
    let dx = ConvolutionKernels.conv2dBackwardInput(outputGradient: dy.value, weight: w.value, geometry: g, operands: operands)
    return Variable.record("conv2dInputGrad", dx, inputs: Variable.Inputs(dy, w)) { gx, need in
        // <convInputGrad(dy, w), gx> = <dy, conv(gx, w)> = <w, convWeightGrad(gx, dy)>
        let shared = sharedWithWeightGradient(operands, need)
        return Variable.Cotangents(need[0] ? conv2dPrimitive(gx, w, g, operands: shared) : nil,
                need[1] ? conv2dWeightGradPrimitive(gx, dy, g, operands: shared) : nil)
    }
}

func conv2dWeightGradPrimitive(_ x: Variable, _ dy: Variable, _ g: Conv2dGeometry, operands: ConvertedOperands? = nil) -> Variable {
    let dw = ConvolutionKernels.conv2dBackwardWeight(input: x.value, outputGradient: dy.value, geometry: g, operands: operands)
    return Variable.record("conv2dWeightGrad", dw, inputs: Variable.Inputs(x, dy)) { gw, need in
        // <convWeightGrad(x, dy), gw> = <dy, conv(x, gw)> = <x, convInputGrad(dy, gw)>
        Variable.Cotangents(need[0] ? conv2dInputGradPrimitive(dy, gw, g) : nil,
                            need[1] ? conv2dPrimitive(x, gw, g) : nil)
    }
}

/// 2-D convolution (cross-correlation), PyTorch `Conv2d` semantics.
/// - Parameters:
///   - x: `[N, C, H, W]`; weight: `[OC, C, kH, kW]`; bias: `[OC]` or nil.
///   - stride, padding: (height, width).
/// - Returns: `[N, OC, (H + 2p − k)/s + 1, (W + 2p − k)/s + 1]`.
public func conv2d(_ x: Variable, weight: Variable, bias: Variable? = nil,
                   stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0)) -> Variable {
    require(x.rank == 4 && weight.rank == 4, "conv2d: expected x [N,C,H,W] and weight [OC,C,kH,kW], got \(x.shape) and \(weight.shape)")
    require(x.shape[1] == weight.shape[1], "conv2d: input has \(x.shape[1]) channels but weight \(weight.shape) expects \(weight.shape[1])")
    let g = Conv2dGeometry(
        batch: x.shape[0], inChannels: x.shape[1], inHeight: x.shape[2], inWidth: x.shape[3],
        outChannels: weight.shape[0], kernel: (weight.shape[2], weight.shape[3]), stride: stride, padding: padding)
    let y = conv2dPrimitive(x, weight, g)
    return bias.map { y + $0.reshaped([1, -1, 1, 1]) } ?? y
}

/// 2-D transposed convolution, PyTorch `ConvTranspose2d` semantics (the adjoint of `conv2d`).
/// - Parameters:
///   - x: `[N, C, H, W]`; weight: `[C, OC, kH, kW]` (PyTorch's layout); bias: `[OC]` or nil.
///   - outputPadding: extra rows/columns on the bottom/right, each `< stride`.
/// - Returns: `[N, OC, (H − 1)·s − 2p + k + outputPadding, …]`.
public func convTranspose2d(_ x: Variable, weight: Variable, bias: Variable? = nil,
                            stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                            outputPadding: (Int, Int) = (0, 0)) -> Variable {
    require(x.rank == 4 && weight.rank == 4, "convTranspose2d: expected x [N,C,H,W] and weight [C,OC,kH,kW], got \(x.shape) and \(weight.shape)")
    require(x.shape[1] == weight.shape[0], "convTranspose2d: input has \(x.shape[1]) channels but weight \(weight.shape) expects \(weight.shape[0])")
    require(outputPadding.0 >= 0 && outputPadding.0 < max(stride.0, 1) && outputPadding.1 >= 0 && outputPadding.1 < max(stride.1, 1),
                 "convTranspose2d: output padding \(outputPadding) must be non-negative and smaller than the stride \(stride)")
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let oh = (x.shape[2] - 1) * stride.0 - 2 * padding.0 + kh + outputPadding.0
    let ow = (x.shape[3] - 1) * stride.1 - 2 * padding.1 + kw + outputPadding.1
    require(oh > 0 && ow > 0, "convTranspose2d: output size \(oh)x\(ow) is not positive for input \(x.shape), weight \(weight.shape)")
    // The convolution being transposed maps [N, OC, oh, ow] to [N, C, H, W].
    let g = Conv2dGeometry(
        batch: x.shape[0], inChannels: weight.shape[1], inHeight: oh, inWidth: ow,
        outChannels: weight.shape[0], kernel: (kh, kw), stride: stride, padding: padding)
    require(g.outHeight == x.shape[2] && g.outWidth == x.shape[3], "convTranspose2d: inconsistent geometry \(g) for input \(x.shape)")
    let y = conv2dInputGradPrimitive(x, weight, g)
    return bias.map { y + $0.reshaped([1, -1, 1, 1]) } ?? y
}
