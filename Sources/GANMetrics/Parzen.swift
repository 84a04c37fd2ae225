import Foundation
import GANTensor

/// The result of ``ParzenWindow/evaluate(test:validation:centers:grid:)``.
public struct ParzenResult {
    /// The bandwidth σ chosen on the validation set.
    public var sigma: Double
    /// Mean log p̂σ(x) over the test points, in nats.
    public var mean: Double
    /// std / √N over the test points, std the population standard deviation (numpy ddof = 0).
    public var standardError: Double
    /// N, the number of test points.
    public var count: Int
    /// The σ grid searched and the mean validation log-likelihood at each grid point.
    public var grid: [Double]
    public var validationMeans: [Double]
}

/// Parzen-window (isotropic Gaussian kernel density) log-likelihood estimate, the protocol of
/// Goodfellow et al. 2014 (`goodfeli/adversarial:parzen_ll.py`, Table 1 of the GAN paper).
///
/// With K kernel centres μⱼ (generated samples; the protocol uses K = 10 000) in d dimensions:
///
///     log p̂σ(x) = log( (1/K) Σⱼ N(x; μⱼ, σ² I_d) )
///               = LME_j( −‖x − μⱼ‖² / (2σ²) ) − d · log(σ √(2π))
///     LME_j(aⱼ) = max_j aⱼ + log( (1/K) Σⱼ exp(aⱼ − max_j aⱼ) )      (stable log-mean-exp)
///
/// σ is the grid point with the highest mean validation log-likelihood (first on ties, as
/// `numpy.argmax`); the test set is then scored with it. Data must be in the space the protocol
/// fixes (MNIST: pixels in [0, 1], d = 784).
public enum ParzenWindow {
    /// `numpy.logspace(-1, 0, 10)`: 10 values from 0.1 to 1, evenly spaced in log10.
    public static let sigmaGrid: [Double] = (0..<10).map { pow(10, -1 + Double($0) / 9) }

    /// log p̂σ(x) for every row x of `points`.
    ///
    /// - Parameters:
    ///   - points: `[B, d]` evaluation points.
    ///   - centers: `[K, d]` kernel centres, K ≥ 1.
    ///   - sigma: kernel bandwidth σ > 0.
    /// - Returns: B log-likelihoods in nats.
    ///
    /// The reference batches over points (strided batches of 100, each against all K centres);
    /// each point's value does not depend on the batching, so here points are processed in
    /// contiguous blocks sized to bound memory, and squared distances come from a Double `dgemm`
    /// (`‖x‖² + ‖μ‖² − 2x·μ`, clamped at 0). All arithmetic is in Double.
    public static func logLikelihoods(points: Tensor, centers: Tensor, sigma: Double) -> [Double] {
        logLikelihoods(points: points, centers: centers, sigmas: [sigma]).map { $0[0] }
    }

    /// Chooses σ on validation data: the grid value with the highest mean log p̂σ over the
    /// validation rows (first on ties). Distances are computed once and reused for every σ.
    ///
    /// - Returns: the chosen σ and, for each grid point in order, the mean validation log-likelihood.
    public static func selectSigma(validation: Tensor, centers: Tensor, grid: [Double] = sigmaGrid) -> (sigma: Double, meanLogLikelihoods: [Double]) {
        require(!grid.isEmpty, "ParzenWindow.selectSigma: empty σ grid")
        let n = sampleMatrixShape(validation, "validation", "ParzenWindow.selectSigma").count
        require(n >= 1, "ParzenWindow.selectSigma: no validation points")
        let perPoint = logLikelihoods(points: validation, centers: centers, sigmas: grid)
        var means = [Double](repeating: 0, count: grid.count)
        for row in perPoint {
            // s indexes the grid.
            for s in grid.indices { means[s] += row[s] }
        }
        for s in grid.indices { means[s] /= Double(n) }
        var best = 0
        for s in grid.indices where means[s] > means[best] { best = s }
        return (grid[best], means)
    }

    /// The full protocol: σ from ``selectSigma(validation:centers:grid:)``, then the mean and
    /// standard error (population std / √N) of log p̂σ over the test rows.
    public static func evaluate(test: Tensor, validation: Tensor, centers: Tensor, grid: [Double] = sigmaGrid) -> ParzenResult {
        let (sigma, means) = selectSigma(validation: validation, centers: centers, grid: grid)
        let values = logLikelihoods(points: test, centers: centers, sigma: sigma)
        let (mean, standardError) = meanAndStandardError(values)
        return ParzenResult(sigma: sigma, mean: mean, standardError: standardError, count: values.count,
                            grid: grid, validationMeans: means)
    }

    /// Mean and standard error `std/√N` of `values`, std with the N denominator (numpy's default).
    public static func meanAndStandardError(_ values: [Double]) -> (mean: Double, standardError: Double) {
        require(!values.isEmpty, "ParzenWindow.meanAndStandardError: no values")
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        return (mean, (variance / n).squareRoot())
    }

    /// `result[i][s]` = log p̂_{sigmas[s]}(pointᵢ).
    static func logLikelihoods(points: Tensor, centers: Tensor, sigmas: [Double]) -> [[Double]] {
        let op = "ParzenWindow.logLikelihoods"
        let (b, d) = sampleMatrixShape(points, "points", op)
        let (k, dc) = sampleMatrixShape(centers, "centers", op)
        require(d == dc, "\(op): points have \(d) features, centres \(dc)")
        require(k >= 1, "\(op): no kernel centres")
        for sigma in sigmas { require(sigma > 0 && sigma.isFinite, "\(op): σ must be positive, got \(sigma)") }
        if b == 0 { return [] }

        let centerValues = DenseMatrix.doubleRows(centers, 0..<k)
        var centerNorms = [Double](repeating: 0, count: k)
        for j in 0..<k {
            // Feature t of centre j.
            var s = 0.0
            for t in 0..<d { s += centerValues[j * d + t] * centerValues[j * d + t] }
            centerNorms[j] = s
        }
        // −d·log(σ√(2π)) and 1/(2σ²) for each σ.
        let normalizers = sigmas.map { -Double(d) * log($0 * (2 * Double.pi).squareRoot()) }
        let inverseTwoVariances = sigmas.map { 1 / (2 * $0 * $0) }
        let logK = log(Double(k))

        var result = [[Double]](repeating: [], count: b)
        let blockRows = max(1, min(1024, (1 << 21) / k))
        var squared = [Double](repeating: 0, count: min(blockRows, b) * k)
        var start = 0
        while start < b {
            let rows = min(blockRows, b - start)
            let block = DenseMatrix.doubleRows(points, start..<(start + rows))
            block.withUnsafeBufferPointer { pb in
                centerValues.withUnsafeBufferPointer { pc in
                    squared.withUnsafeMutableBufferPointer { ps in
                        // ps[a·K + j] = x_{start+a} · μ_j.
                        DenseMatrix.dgemm(transposeA: false, transposeB: true, m: rows, n: k, k: d,
                                          a: pb.baseAddress!, lda: d, b: pc.baseAddress!, ldb: d,
                                          c: ps.baseAddress!, ldc: k)
                    }
                }
            }
            let blockStart = start
            result.withUnsafeMutableBufferPointer { out in
                block.withUnsafeBufferPointer { pb in
                    squared.withUnsafeMutableBufferPointer { ps in
                        let sq = ps.baseAddress!, xs = pb.baseAddress!
                        Parallel.forRanges(rows, costPerElement: k * (sigmas.count + 1)) { range in
                            var exponents = [Double](repeating: 0, count: k)
                            for a in range {
                                // Block row a is evaluation point i = blockStart + a.
                                let x = xs + a * d
                                var xNorm = 0.0
                                for t in 0..<d { xNorm += x[t] * x[t] }
                                let row = sq + a * k
                                // Turn dot products into squared distances, column j = centre j.
                                for j in 0..<k { row[j] = max(0, xNorm + centerNorms[j] - 2 * row[j]) }
                                var values = [Double](repeating: 0, count: sigmas.count)
                                for s in sigmas.indices {
                                    // Exponents aⱼ = −‖x − μⱼ‖²/(2σ²) for grid point s, then their log-mean-exp.
                                    var largest = -Double.infinity
                                    for j in 0..<k {
                                        exponents[j] = -row[j] * inverseTwoVariances[s]
                                        largest = max(largest, exponents[j])
                                    }
                                    var sum = 0.0
                                    for j in 0..<k { sum += exp(exponents[j] - largest) }
                                    values[s] = largest + log(sum) - logK + normalizers[s]
                                }
                                out[blockStart + a] = values
                            }
                        }
                    }
                }
            }
            start += rows
        }
        return result
    }
}
