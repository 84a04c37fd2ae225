import GANAutograd

/// Cross-correlation by its definition, `y[n, o, i, j] = Σ_{c,p,q} x[n, c, i·sH − pH + p, j·sW − pW + q] · w[o, c, p, q]`
/// (0 outside x), for checking the convolution kernels. x: [N, C, H, W], w: [OC, C, kH, kW].
public func referenceConv2d(_ x: Tensor, _ w: Tensor, stride: (Int, Int), padding: (Int, Int)) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oc, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let oh = (h + 2 * padding.0 - kh) / stride.0 + 1, ow = (wd + 2 * padding.1 - kw) / stride.1 + 1
    var y = Tensor(zeros: [n, oc, oh, ow])
    for b in 0..<n { for o in 0..<oc { for i in 0..<oh { for j in 0..<ow {
        var s: Float = 0
        for ch in 0..<c { for p in 0..<kh { for q in 0..<kw {
            let iy = i * stride.0 - padding.0 + p, ix = j * stride.1 - padding.1 + q
            if iy >= 0 && iy < h && ix >= 0 && ix < wd { s += x[b, ch, iy, ix] * w[o, ch, p, q] }
        } } }
        y[b, o, i, j] = s
    } } } }
    return y
}

/// The three passes of the convolution `g` on whichever kernels are switched on: the forward
/// pass of `x`, the input gradient of `dy` and the weight gradient of `x` and `dy`.
public func convolutionPasses(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: Conv2dGeometry) -> [Tensor] {
    [ConvolutionKernels.conv2dForward(input: x, weight: w, geometry: g),
     ConvolutionKernels.conv2dBackwardInput(outputGradient: dy, weight: w, geometry: g),
     ConvolutionKernels.conv2dBackwardWeight(input: x, outputGradient: dy, geometry: g)]
}
