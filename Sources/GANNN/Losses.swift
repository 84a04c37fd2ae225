/// Losses on raw scores (logits), mean over every element.

/// Binary cross-entropy on logits in the stable softplus form, PyTorch `BCEWithLogitsLoss`:
/// `mean( softplus(x) − t·x )`, which equals `−[t·log σ(x) + (1 − t)·log(1 − σ(x))]`
/// and never takes the log of a rounded sigmoid. Targets may be soft (e.g. 0.9 for label smoothing).
/// - Parameters: logits any shape; targets the same shape (as PyTorch, which refuses others:
///   logits `[N, 1]` against targets `[N]` would broadcast to `[N, N]` and average N² terms).
public func binaryCrossEntropy(logits: Variable, targets: Tensor) -> Variable {
    require(logits.shape == targets.shape,
                 "binaryCrossEntropy: targets of shape \(targets.shape) for logits of shape \(logits.shape); the shapes must be equal")
    return (logits.softplus() - logits * Variable(targets)).mean()
}

/// ``binaryCrossEntropy(logits:targets:)`` with every target equal to `target`.
public func binaryCrossEntropy(logits: Variable, target: Float) -> Variable {
    let t = target
    // softplus(x) − t·x, written so that t = 0 and t = 1 do no extra work.
    if t == 0 { return logits.softplus().mean() }
    if t == 1 { return (-logits).softplus().mean() }   // softplus(x) − x = softplus(−x)
    return (logits.softplus() - logits * t).mean()
}

/// Mean squared error `mean((x − y)²)`, PyTorch `MSELoss`; `x` and `y` of one shape (PyTorch
/// warns and broadcasts; a silent `[N, 1]` against `[N]` would average N² terms, so this refuses).
public func meanSquaredError(_ x: Variable, _ y: Variable) -> Variable {
    require(x.shape == y.shape, "meanSquaredError: shapes \(x.shape) and \(y.shape) differ")
    return (x - y).squared().mean()
}

/// ``meanSquaredError(_:_:)`` against a constant target.
public func meanSquaredError(_ x: Variable, target: Float) -> Variable { (x - target).squared().mean() }

/// Hinge loss `mean( max(0, 1 − sign·x) )`: `sign = +1` pushes scores above 1, `−1` below −1
/// (the discriminator side of the hinge GAN loss).
public func hingeLoss(_ x: Variable, sign: Float) -> Variable { (1 - x * sign).relu().mean() }

/// Softmax cross-entropy, PyTorch `CrossEntropyLoss`: `mean( −log softmax(x)[label] )`.
/// - Parameters: logits `[N, classes]`, labels `N` class indices.
public func crossEntropy(logits: Variable, labels: [Int]) -> Variable {
    require(logits.rank == 2 && logits.shape[0] == labels.count,
                 "crossEntropy: logits \(logits.shape) for \(labels.count) labels")
    let classes = logits.shape[1]
    for l in labels { require(l >= 0 && l < classes, "crossEntropy: label \(l) outside 0..<\(classes)") }
    return -logits.logSoftmax(axis: 1).gatherAlongLastAxis(indices: labels.map(Int32.init)).mean()
}
