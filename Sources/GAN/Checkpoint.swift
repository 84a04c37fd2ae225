import Foundation

/// Everything a checkpoint holds besides tensors, stored as JSON in the safetensors metadata
/// (key `swiftgan.checkpoint`), so one file, written by one atomic rename, is one checkpoint.
public struct CheckpointState: Codable, Sendable {
    /// The version this SwiftGAN writes. Version 2's checksum covers this state's JSON as well as
    /// the tensors; version 1 (tensors only) is still read. Readers refuse other versions with a
    /// message naming the file.
    public static let currentFormatVersion = 2
    static let readableFormatVersions = 1...2
    public var formatVersion = CheckpointState.currentFormatVersion
    public var step: Int
    public var epoch: Int
    public var cursor: Int
    /// The training generator's four state words, as decimal strings (JSON numbers lose 64-bit integers).
    public var rngState: [String]
    public var optimizerStepsG: Int
    public var optimizerStepsD: Int
    public var l2Lambda: Float
    public var learningRateScale: Float
    public var alarms: AlarmMonitor
    /// The statistics of the logging interval in progress (absent in checkpoints written before
    /// version 2, which resume with an empty interval).
    var intervalStatistics: StatisticsAccumulator?
    public var bestQuality: Double?
    public var bestStep: Int?
    /// Whether the best checkpoint's fixed-noise samples were collapsed (absent in checkpoints
    /// written before it was recorded, which resume as not collapsed).
    public var bestCollapsed: Bool?
    /// The quality signal measured at this checkpoint (higher is better).
    public var quality: Double?
    public var config: TrainingConfig
    /// The shape of one sample and the number of classes (0 = unconditional), so the generator can
    /// be rebuilt without the dataset.
    public var sampleShape: [Int]
    public var classCount: Int
}

/// Writing, verifying and finding checkpoints.
///
/// Tensors are named `generator.<param>`, `discriminator.<param>`, `ema.<param>`,
/// `optimizer_g.<param>.<slot>`, `optimizer_d.<param>.<slot>` and `data.permutation`; the
/// metadata holds ``CheckpointState`` as JSON and a CRC-32 over every tensor's bytes in name order
/// followed by that JSON's UTF-8 bytes (format version 1: the tensors' bytes only).
/// Files are written to a temporary name, flushed and renamed into place, so a crash or kill
/// leaves either the old file or the new one, never a torn one.
public enum Checkpoint {
    public static let stateKey = "swiftgan.checkpoint"
    public static let checksumKey = "swiftgan.crc32"

    /// The tensors of a trainer's state.
    static func tensors(of t: Trainer) -> [String: Tensor] {
        var out = [String: Tensor]()
        for (k, v) in t.model.generator.stateDict() { out["generator." + k] = v }
        for (k, v) in t.model.discriminator.stateDict() { out["discriminator." + k] = v }
        if let ema = t.ema { for (k, v) in ema.generator.stateDict() { out["ema." + k] = v } }
        for (k, v) in t.optimizerG.stateTensors() { out["optimizer_g." + k] = v }
        for (k, v) in t.optimizerD.stateTensors() { out["optimizer_d." + k] = v }
        out["data.permutation"] = Tensor(shape: [t.data.permutation.count], values: t.data.permutation.map(Float.init))
        return out
    }

    /// CRC-32 of the tensors' bytes in name order, then of `stateJSON`'s UTF-8 bytes (nil for
    /// format version 1, whose checksum covered the tensors only).
    static func checksum(_ tensors: [String: Tensor], stateJSON: String?) -> UInt32 {
        var crc: UInt32 = 0
        for name in tensors.keys.sorted() {
            tensors[name]!.withUnsafeBufferPointer { crc = Gzip.crc32(UnsafeRawBufferPointer($0), initial: crc) }
        }
        if let stateJSON { crc = Array(stateJSON.utf8).withUnsafeBytes { Gzip.crc32($0, initial: crc) } }
        return crc
    }

    /// Writes `trainer`'s state to `path` atomically.
    public static func save(_ trainer: Trainer, state: CheckpointState, to path: String) throws {
        let tensors = tensors(of: trainer)
        let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        try SafeTensors.write(tensors, metadata: [stateKey: json, checksumKey: String(checksum(tensors, stateJSON: json))], to: path)
    }

    /// Reads and verifies a checkpoint: format version, checksum, and the presence of its state.
    public static func read(_ path: String) throws -> (tensors: [String: Tensor], state: CheckpointState) {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        guard let json = metadata[stateKey] else {
            throw CheckpointError(file: path, problem: "no '\(stateKey)' metadata: not a SwiftGAN checkpoint")
        }
        // Look at the version before decoding the rest, so a newer format gets a clear message.
        struct Version: Decodable { let formatVersion: Int }
        guard let version = try? JSONDecoder().decode(Version.self, from: Data(json.utf8)) else {
            throw CheckpointError(file: path, problem: "metadata '\(stateKey)' is not valid checkpoint JSON")
        }
        let readable = CheckpointState.readableFormatVersions
        guard readable.contains(version.formatVersion) else {
            throw CheckpointError(file: path, problem: "format version \(version.formatVersion) is not supported (this SwiftGAN reads versions \(readable.lowerBound)–\(readable.upperBound))")
        }
        // The checksum first: a corrupt state must be reported as corruption, not as bad JSON.
        guard let expected = metadata[checksumKey].flatMap(UInt32.init) else {
            throw CheckpointError(file: path, problem: "missing or malformed '\(checksumKey)'")
        }
        let actual = checksum(tensors, stateJSON: version.formatVersion >= 2 ? json : nil)
        guard actual == expected else {
            throw CheckpointError(file: path, problem: "checksum mismatch (stored \(expected), computed \(actual)): the file is corrupt")
        }
        let state: CheckpointState
        do { state = try JSONDecoder().decode(CheckpointState.self, from: Data(json.utf8)) } catch {
            throw CheckpointError(file: path, problem: "checkpoint state does not decode: \(error)")
        }
        return (tensors, state)
    }

    /// Restores a trainer from a checkpoint read by ``read(_:)``.
    public static func restore(_ trainer: Trainer, from checkpoint: (tensors: [String: Tensor], state: CheckpointState), source: String) throws {
        let (tensors, state) = checkpoint
        func part(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: tensors.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
        }
        do {
            try trainer.model.generator.load(stateDict: part("generator."), source: source)
            try trainer.model.discriminator.load(stateDict: part("discriminator."), source: source)
            if let ema = trainer.ema { try ema.generator.load(stateDict: part("ema."), source: source) }
            try trainer.optimizerG.loadState(part("optimizer_g."), step: state.optimizerStepsG)
            try trainer.optimizerD.loadState(part("optimizer_d."), step: state.optimizerStepsD)
        } catch {
            throw CheckpointError(file: source, problem: "\(error)")
        }
        let words = state.rngState.compactMap(UInt64.init)
        guard words.count == 4, words.contains(where: { $0 != 0 }) else {
            throw CheckpointError(file: source, problem: "rngState must be four non-zero-sum 64-bit words, got \(state.rngState)")
        }
        trainer.rng.stateWords = words
        let permutation = (tensors["data.permutation"]?.scalars ?? []).map { Int($0) }
        try trainer.data.restore(permutation: permutation, cursor: state.cursor, epoch: state.epoch)
        trainer.step = state.step
        trainer.l2Lambda = state.l2Lambda
        trainer.learningRateScale = state.learningRateScale
    }

    /// `step-00001234.safetensors`.
    public static func fileName(step: Int) -> String { String(format: "step-%08d.safetensors", step) }

    /// Step checkpoints in `directory`, newest first.
    public static func stepFiles(in directory: String) -> [(step: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".safetensors"),
                  let step = Int(name.dropFirst(5).dropLast(12)) else { return nil }
            return (step, directory + "/" + name)
        }.sorted { $0.0 > $1.0 }
    }

    /// The newest checkpoint in `directory` that reads and verifies; unreadable ones are reported
    /// through `warn` and skipped (never deleted).
    public static func latestValid(in directory: String, warn: (String) -> Void = { _ in })
        -> (path: String, tensors: [String: Tensor], state: CheckpointState)?
    {
        for (_, path) in stepFiles(in: directory) {
            do {
                let c = try read(path)
                return (path, c.tensors, c.state)
            } catch {
                warn("skipping unreadable checkpoint: \(error)")
            }
        }
        return nil
    }
}

public struct CheckpointError: Error, CustomStringConvertible {
    public let file: String
    public let problem: String
    public var description: String { "\(file): \(problem)" }
}
