import Foundation

/// The metrics `gan evaluate` can compute.
public enum EvaluationMetric: String, Codable, CaseIterable, Sendable {
    /// Parzen-window log-likelihood of the MNIST test set (Goodfellow et al. 2014 protocol).
    case parzen
    /// Fréchet distance between classifier features of samples and the reference set.
    case fid
    /// Kernel distance (100 subsets of 1 000, unbiased MMD², cubic polynomial kernel).
    case kid
    /// Improved precision and recall (k = 3).
    case pr
    /// Density and coverage (k = 5).
    case dc
    /// Inception Score on the classifier's softmax (10 splits).
    case `is`
    /// Class histogram, classes covered, KL to uniform, and for conditional samples the fraction
    /// classified as the requested label.
    case classes
    /// Nearest training images in feature space.
    case memorization

    /// The fewest samples the metric is defined for: an unbiased covariance or MMD² needs 2,
    /// precision/recall's k = 3 neighbours among the samples themselves 4, and the Inception
    /// Score's 10 splits 10.
    public var minimumSampleCount: Int {
        switch self {
        case .fid, .kid: return 2
        case .pr: return 4
        case .is: return 10
        case .parzen, .dc, .classes, .memorization: return 1
        }
    }
}

/// What was measured and how, so a number can be reproduced and compared only with its kind.
public struct EvaluationProtocol: Codable, Sendable {
    public var samples: String
    public var sampleCount: Int
    public var referenceSet: String
    public var referenceCount: Int
    public var featureExtractor: String
    public var featureWeightsHash: String
    public var classifierTestAccuracy: Double
    public var preprocessing: String
    public var seeds: [String: UInt64]
    public var parzen: String?
}

public struct EvaluationResult: Codable, Sendable {
    public struct Parzen: Codable, Sendable { public var mean: Double, standardError: Double, sigma: Double }
    public struct MeanStd: Codable, Sendable { public var mean: Double, std: Double }
    public struct Memorization: Codable, Sendable {
        public var fractionCloserThanThreshold: Double
        public var threshold: Double
        public var medianNearestDistance: Double
    }
    public var evaluationProtocol: EvaluationProtocol
    public var parzen: Parzen?
    public var fid: Double?
    public var kid: MeanStd?
    public var precision: Double?, recall: Double?
    public var density: Double?, coverage: Double?
    public var inceptionScore: MeanStd?
    public var classHistogram: [Int]?
    public var classesCovered: Int?
    public var klToUniform: Double?
    public var conditionalAccuracy: Double?
    public var memorization: Memorization?

    enum CodingKeys: String, CodingKey {
        case evaluationProtocol = "protocol", parzen, fid, kid, precision, recall, density, coverage, inceptionScore,
             classHistogram, classesCovered, klToUniform, conditionalAccuracy, memorization
    }
}

/// Computes the metrics on MNIST-shaped samples (`[N, 1, 28, 28]` in [0, 1]).
///
/// Reference sets: FID/KID/precision-recall/density-coverage compare with the 10 000 MNIST test
/// images; Parzen uses the 10 000 test images, σ chosen on train[50000..<51000] from the 10-point
/// log grid; the memorization audit searches all 60 000 training images, with the threshold the 1st
/// percentile of test-to-train nearest distances.
public final class Evaluator {
    public let classifier: FeatureClassifier
    public let classifierTestAccuracy: Double
    public let train: LabeledImages
    public let test: LabeledImages
    lazy var testEmbedding = classifier.embed(test.images)
    lazy var trainEmbedding = classifier.embed(train.images)

    /// Training images the protocol needs: Parzen's σ is chosen on train[50000..<51000].
    public static let minimumTrainCount = 51_000
    /// Test images the metrics need at the least (density/coverage's k = 5 neighbours + the point).
    public static let minimumTestCount = 6

    /// Loads the MNIST training and test splits from `mnistDirectory`.
    ///
    /// - Throws: ``DataError`` naming the image file when its images are not 28×28 (the
    ///   classifier's input) or when it holds fewer than ``minimumTrainCount`` training or
    ///   ``minimumTestCount`` test images, besides the loader's own errors.
    public init(classifier: FeatureClassifier, classifierTestAccuracy: Double, mnistDirectory: String) throws {
        self.classifier = classifier
        self.classifierTestAccuracy = classifierTestAccuracy
        test = try Self.loadSplit(mnistDirectory, .test, minimumCount: Self.minimumTestCount,
                                  reason: "the reference set of the metrics (density/coverage needs k + 1 = 6)")
        train = try Self.loadSplit(mnistDirectory, .train, minimumCount: Self.minimumTrainCount,
                                   reason: "Parzen's σ is chosen on train[50000..<51000]")
    }

    /// One split of `directory`, checked to hold at least `minimumCount` images of 1×28×28.
    static func loadSplit(_ directory: String, _ split: DatasetSplit, minimumCount: Int, reason: String) throws -> LabeledImages {
        let set = try MNIST.load(directory: directory, split: split)
        let name = MNIST.fileName(split, images: true)
        let path = DataFiles.join(directory, DataFiles.isFile(DataFiles.join(directory, name)) ? name : String(name.dropLast(3)))
        let shape = Array(set.images.shape.dropFirst())
        guard shape == [1, 28, 28] else {
            throw DataError(file: path, field: "IDX dimensions",
                            "28×28 images expected for evaluation (the feature classifier's input), got \(shape[1])×\(shape[2])")
        }
        guard set.count >= minimumCount else {
            throw DataError(file: path, field: "IDX dimensions",
                            "at least \(minimumCount) images expected for evaluation (\(reason)), the file holds \(set.count)")
        }
        return set
    }

    public func evaluate(samples: Tensor, labels: [Int]?, metrics: Set<EvaluationMetric>, description: String,
                         seed: UInt64, auditImage: String? = nil) throws -> EvaluationResult {
        guard samples.rank == 4, Array(samples.shape.dropFirst()) == [1, 28, 28] else {
            throw ConfigError(field: "samples", problem: "expected N×1×28×28 images in [0, 1], got shape \(samples.shape)")
        }
        if let labels, labels.count != samples.shape[0] {
            throw ConfigError(field: "--labels", problem: "\(labels.count) labels for \(samples.shape[0]) samples")
        }
        let n = samples.shape[0]
        let unmet = EvaluationMetric.allCases.filter { metrics.contains($0) && n < $0.minimumSampleCount }
        if !unmet.isEmpty {
            throw ConfigError(
                field: "samples",
                problem: "\(n) samples are too few for " + unmet.map { "\($0.rawValue) (at least \($0.minimumSampleCount))" }.joined(separator: ", ")
                    + "; evaluate more samples or leave those metrics out")
        }
        // Every metric compares distances or moments, which NaN or ±inf make meaningless (and the
        // nearest-neighbour searches and LAPACK would stop the process): refuse such samples here.
        let nonFinite = nonFiniteRows(samples)
        if let first = nonFinite.first {
            throw ConfigError(
                field: "samples",
                problem: "\(nonFinite.count) of \(n) samples hold NaN or ±inf pixels (the first is sample \(first)); finite images in [0, 1] expected. The generator has probably diverged: evaluate an earlier checkpoint")
        }
        // The classifier and the Parzen σ grid are defined on pixels in [0, 1]; a generator's raw
        // tanh output in [−1, 1] would be scored without a word.
        let (low, high) = samples.withUnsafeBufferPointer { p in p.reduce((Float.infinity, -Float.infinity)) { (min($0.0, $1), max($0.1, $1)) } }
        if n > 0 && (low < -1e-3 || high > 1 + 1e-3) {
            throw ConfigError(
                field: "samples",
                problem: "pixels must be in [0, 1], got values from \(low) to \(high) (tanh output in [−1, 1] maps to [0, 1] by (x + 1) / 2)")
        }
        var result = EvaluationResult(evaluationProtocol: EvaluationProtocol(
            samples: description, sampleCount: n, referenceSet: "MNIST test set", referenceCount: test.count,
            featureExtractor: "mnist-cnn-v1 (SwiftGAN), 128-d penultimate ReLU features and 10-way softmax",
            featureWeightsHash: classifier.weightsHash, classifierTestAccuracy: classifierTestAccuracy,
            preprocessing: "pixels in [0, 1] (tanh generators mapped from [-1, 1]); no resizing",
            seeds: ["kid": seed]))
        let (features, probabilities) = classifier.embed(samples)
        if let row = firstNonFiniteRow(features) {
            throw ConfigError(
                field: "samples",
                problem: "the classifier's features of sample \(row) are NaN or ±inf although its pixels are finite; images in [0, 1] expected (are the values far outside that range?)")
        }

        if metrics.contains(.parzen) {
            let validation = train.images.slice(axis: 0, start: 50_000, length: 1_000).reshaped([1_000, 784])
            let r = ParzenWindow.evaluate(test: test.images.reshaped([test.count, 784]), validation: validation,
                                          centers: samples.reshaped([n, 784]))
            result.parzen = .init(mean: r.mean, standardError: r.standardError, sigma: r.sigma)
            result.evaluationProtocol.parzen = "\(n) samples as centres, σ from logspace(-1, 0, 10) on train[50000..<51000], mean ± s.e. over the 10 000 test images, nats, d = 784"
        }
        if metrics.contains(.fid) { result.fid = FrechetDistance.compute(real: testEmbedding.features, fake: features) }
        if metrics.contains(.kid) {
            let k = KernelInceptionDistance.compute(real: testEmbedding.features, fake: features, subsets: 100, subsetSize: 1000,
                                                    rng: RandomGenerator(seed: seed))
            result.kid = .init(mean: k.mean, std: k.std)
        }
        if metrics.contains(.pr) {
            let pr = PrecisionRecall.compute(real: testEmbedding.features, fake: features, k: 3)
            result.precision = pr.precision; result.recall = pr.recall
        }
        if metrics.contains(.dc) {
            let dc = DensityCoverage.compute(real: testEmbedding.features, fake: features, k: 5)
            result.density = dc.density; result.coverage = dc.coverage
        }
        if metrics.contains(.is) {
            let s = InceptionScore.compute(probabilities: probabilities, splits: 10)
            result.inceptionScore = .init(mean: s.mean, std: s.std)
        }
        if metrics.contains(.classes) {
            let summary = ClassDistribution.summarize(probabilities: probabilities, classCount: 10)
            result.classHistogram = summary.histogram
            result.classesCovered = summary.classesCovered
            result.klToUniform = summary.klToUniform
            if let labels {
                result.conditionalAccuracy = ClassDistribution.conditionalAccuracy(
                    predicted: ClassDistribution.predictedLabels(probabilities), requested: labels)
            }
        }
        if metrics.contains(.memorization) {
            let report = MemorizationAudit.compute(samples: features, train: trainEmbedding.features, test: testEmbedding.features)
            let sorted = report.nearestDistance.sorted()
            result.memorization = .init(fractionCloserThanThreshold: report.fractionBelowThreshold, threshold: Double(report.threshold),
                                        medianNearestDistance: Double(sorted[sorted.count / 2]))
            if let auditImage { try writeAudit(samples: samples, report: report, path: auditImage) }
        }
        return result
    }

    /// The 16 samples closest to a training image, each beside that image (sample, neighbour, …).
    func writeAudit(samples: Tensor, report: MemorizationReport, path: String) throws {
        let closest = report.nearestDistance.indices.sorted { report.nearestDistance[$0] < report.nearestDistance[$1] }.prefix(16)
        var pairs = [Tensor]()
        for i in closest {
            pairs.append(samples.slice(axis: 0, start: i, length: 1))
            pairs.append(train.images.slice(axis: 0, start: report.nearestTrainIndex[i], length: 1))
        }
        try ImageGrid.writePNG(images: Tensor.concatenate(pairs, axis: 0), columns: 8, path: path)
    }

    /// The real-data floor: `count` training images evaluated as if they were samples.
    public func floor(metrics: Set<EvaluationMetric>, count: Int, seed: UInt64) throws -> EvaluationResult {
        let n = min(count, train.count)
        return try evaluate(samples: train.images.slice(axis: 0, start: 0, length: n), labels: Array(train.labels.prefix(n)),
                            metrics: metrics, description: "real-data floor: MNIST train[0..<\(n)] as samples", seed: seed)
    }
}

extension EvaluationResult {
    /// Rows of (metric, value) for the printed table.
    public var rows: [(String, String)] {
        var r = [(String, String)]()
        if let p = parzen { r.append(("Parzen log-likelihood (nats)", String(format: "%.1f ± %.1f (σ = %.3f)", p.mean, p.standardError, p.sigma))) }
        if let f = fid { r.append(("FID (classifier features)", String(format: "%.3f", f))) }
        if let k = kid { r.append(("KID × 10³", String(format: "%.3f ± %.3f", 1000 * k.mean, 1000 * k.std))) }
        if let p = precision, let q = recall { r.append(("precision / recall (k=3)", String(format: "%.3f / %.3f", p, q))) }
        if let d = density, let c = coverage { r.append(("density / coverage (k=5)", String(format: "%.3f / %.3f", d, c))) }
        if let s = inceptionScore { r.append(("Inception Score (10 splits)", String(format: "%.3f ± %.3f", s.mean, s.std))) }
        if let c = classesCovered, let kl = klToUniform { r.append(("classes covered / KL to uniform", String(format: "%d / %.4f", c, kl))) }
        if let a = conditionalAccuracy { r.append(("requested label recognised", String(format: "%.1f%%", 100 * a))) }
        if let m = memorization { r.append(("closer than 1st pct test→train", String(format: "%.2f%% (median NN %.3f)", 100 * m.fractionCloserThanThreshold, m.medianNearestDistance))) }
        return r
    }
}
