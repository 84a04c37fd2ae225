import Foundation
import GANTensor

/// Inception Score (Salimans et al. 2016), from a classifier's class probabilities.
///
///     IS = exp( E_x KL( p(y|x) ‖ p(y) ) ),   p(y) = mean over the split of p(y|x)
///
/// As `openai/improved-gan:inception_score/model.py`: the N rows are cut into `splits`
/// contiguous parts, part i being rows `i·N/splits ..< (i+1)·N/splits` (integer division), the
/// score is computed per part, and the mean and population std (numpy `std`, ddof = 0) of the
/// per-part scores are returned. Terms with p(y|x) = 0 contribute 0 (the limit 0·log 0 = 0;
/// numpy would give NaN there). On MNIST the classifier is an MNIST CNN, so IS ≤ 10.
public enum InceptionScore {
    /// - Parameters:
    ///   - probabilities: `[N, C]`, each row a probability vector (softmax output), N ≥ splits.
    ///   - splits: number of contiguous parts (default 10).
    /// - Returns: `(mean, std)` of the per-split scores.
    public static func compute(probabilities: Tensor, splits: Int = 10) -> (mean: Double, std: Double) {
        let scores = splitScores(probabilities: probabilities, splits: splits)
        let mean = scores.reduce(0, +) / Double(scores.count)
        let variance = scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count)
        return (mean, variance.squareRoot())
    }

    /// The score of each contiguous split.
    public static func splitScores(probabilities: Tensor, splits: Int = 10) -> [Double] {
        let (n, c) = sampleMatrixShape(probabilities, "probabilities", "InceptionScore")
        require(splits >= 1 && n >= splits, "InceptionScore: \(n) rows cannot make \(splits) non-empty splits")
        let p = probabilities.pointer
        var scores = [Double]()
        for s in 0..<splits {
            let lower = s * n / splits, upper = (s + 1) * n / splits
            // Marginal p(y) of this split: the mean of its rows.
            var marginal = [Double](repeating: 0, count: c)
            for i in lower..<upper { for y in 0..<c { marginal[y] += Double(p[i * c + y]) } }
            for y in 0..<c { marginal[y] /= Double(upper - lower) }
            var meanKL = 0.0
            for i in lower..<upper {
                // KL(p(·|xᵢ) ‖ p(·)) summed over classes y.
                var kl = 0.0
                for y in 0..<c {
                    let q = Double(p[i * c + y])
                    if q > 0 { kl += q * (log(q) - log(marginal[y])) }
                }
                meanKL += kl
            }
            meanKL /= Double(upper - lower)
            scores.append(exp(meanKL))
        }
        return scores
    }
}

/// How a classifier's predictions for generated samples spread over the classes (mode coverage).
public struct ClassSummary {
    /// `histogram[c]` = number of samples predicted as class c.
    public var histogram: [Int]
    /// Number of classes with at least one prediction ("modes" in the mode-counting papers).
    public var classesCovered: Int
    /// KL(p̂ ‖ U) in nats, p̂ the normalised histogram and U uniform over the classes:
    /// Σ_c p̂_c log(p̂_c · C), with 0·log 0 = 0. 0 for a perfectly even spread, log C for one class.
    public var klToUniform: Double
}

/// Mode-counting summaries of predicted labels (MNIST: 10 classes; Stacked MNIST: 1000 triples).
public enum ClassDistribution {
    /// Summary of predicted labels, each in `0..<classCount`.
    public static func summarize(predictedLabels: [Int], classCount: Int) -> ClassSummary {
        require(classCount >= 1, "ClassDistribution.summarize: classCount must be positive")
        var histogram = [Int](repeating: 0, count: classCount)
        for label in predictedLabels {
            require(label >= 0 && label < classCount, "ClassDistribution.summarize: label \(label) outside 0..<\(classCount)")
            histogram[label] += 1
        }
        let total = Double(predictedLabels.count)
        var kl = 0.0
        for count in histogram where count > 0 {
            // One class's share p̂ of the predictions, against the uniform 1/C.
            let share = Double(count) / total
            kl += share * log(share * Double(classCount))
        }
        return ClassSummary(histogram: histogram, classesCovered: histogram.filter { $0 > 0 }.count, klToUniform: kl)
    }

    /// Summary of the argmax classes of `probabilities` (`[N, C]`, C = `classCount`; the first
    /// maximum wins ties).
    public static func summarize(probabilities: Tensor, classCount: Int) -> ClassSummary {
        let (_, c) = sampleMatrixShape(probabilities, "probabilities", "ClassDistribution.summarize")
        require(c == classCount, "ClassDistribution.summarize: probabilities have \(c) columns, classCount is \(classCount)")
        return summarize(predictedLabels: predictedLabels(probabilities), classCount: classCount)
    }

    /// Argmax of each row of `[N, C]` scores (first maximum on ties).
    public static func predictedLabels(_ probabilities: Tensor) -> [Int] {
        let (n, c) = sampleMatrixShape(probabilities, "probabilities", "ClassDistribution.predictedLabels")
        require(c >= 1 || n == 0, "ClassDistribution.predictedLabels: no classes")
        let p = probabilities.pointer
        return (0..<n).map { i in
            // Column y of row i is the score of class y.
            var best = 0
            for y in 1..<max(c, 1) where p[i * c + y] > p[i * c + best] { best = y }
            return best
        }
    }

    /// Conditional-generation accuracy: the fraction of samples whose predicted class equals the
    /// class that was requested from the conditional generator.
    public static func conditionalAccuracy(predicted: [Int], requested: [Int]) -> Double {
        require(predicted.count == requested.count,
                     "ClassDistribution.conditionalAccuracy: \(predicted.count) predictions for \(requested.count) requests")
        if predicted.isEmpty { return 0 }
        return Double(zip(predicted, requested).filter { $0 == $1 }.count) / Double(predicted.count)
    }
}
