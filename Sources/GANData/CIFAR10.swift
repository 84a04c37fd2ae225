import GANTensor

/// Loader for the CIFAR-10 "binary version" (Krizhevsky, 2009).
///
/// Each file is a sequence of 3073-byte records: one label byte (0...9), then a 32×32 image as
/// three 1024-byte planes, red, green, blue, each row-major (row 0 first). The training split is
/// `data_batch_1.bin` … `data_batch_5.bin` (10 000 records each), the test split
/// `test_batch.bin`; they live in `cifar-10-batches-bin/` (as the archive unpacks) or directly in
/// the directory given.
public enum CIFAR10 {
    /// Bytes per record: 1 label + 3 × 32 × 32 pixels.
    public static let recordSize = 1 + 3 * 32 * 32
    /// Records in each official batch file (so each file is 30 730 000 bytes).
    public static let recordsPerFile = 10_000
    /// Class names, index = label.
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer",
                                    "dog", "frog", "horse", "ship", "truck"]
    /// The file names of a split.
    public static func fileNames(_ split: DatasetSplit) -> [String] {
        split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
    }

    /// Parses the records of one binary batch file.
    ///
    /// - Returns: images [N, 3, 32, 32] with values byte / 255, labels in 0...9, `classCount` 10.
    /// - Throws: ``DataError`` naming `source` when the size is not a positive multiple of 3073
    ///   or a label exceeds 9.
    public static func parse(_ bytes: [UInt8], source: String) throws -> LabeledImages {
        let (labels, pixels) = try parseRecords(bytes, source: source)
        return LabeledPixels(pixels: pixels, imageShape: [3, 32, 32], labels: labels, classCount: 10).labeledImages
    }

    /// Splits a batch file into labels and the concatenated [N, 3, 32, 32] pixel bytes.
    static func parseRecords(_ bytes: [UInt8], source: String) throws -> (labels: [Int], pixels: [UInt8]) {
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw DataError(
                file: source, field: "file size",
                "a positive multiple of \(recordSize) bytes (1 label + 3072 pixels per record) expected, got \(bytes.count)")
        }
        let n = bytes.count / recordSize
        var labels: [Int] = []
        labels.reserveCapacity(n)
        var pixels: [UInt8] = []
        pixels.reserveCapacity(n * (recordSize - 1))
        // Record r starts at byte r·3073 with its label; its 3072 pixel bytes follow.
        for r in 0..<n {
            let start = r * recordSize
            let label = bytes[start]
            guard label <= 9 else {
                throw DataError(file: source, field: "record \(r) label", "a class in 0...9 expected, got \(label)")
            }
            labels.append(Int(label))
            pixels.append(contentsOf: bytes[(start + 1)..<(start + recordSize)])
        }
        return (labels, pixels)
    }

    /// Loads a split from `directory` or `directory/cifar-10-batches-bin`.
    ///
    /// - Returns: 50 000 (train) or 10 000 (test) images [N, 3, 32, 32] in [0, 1], in file order.
    /// - Throws: ``DataError`` naming the first missing or malformed file, including a file that
    ///   does not hold exactly ``recordsPerFile`` records (field `size`: a truncated download or
    ///   another data set under the same name).
    public static func load(directory: String, split: DatasetSplit) throws -> LabeledImages {
        try loadPixels(directory: directory, split: split).labeledImages
    }

    /// ``load(directory:split:)`` keeping the images as their bytes (154 MB for the training
    /// split instead of 614 MB), with the same checks and errors.
    public static func loadPixels(directory: String, split: DatasetSplit) throws -> LabeledPixels {
        try loadPixels(directory: directory, split: split, recordsPerFile: recordsPerFile)
    }

    /// ``loadPixels(directory:split:)`` requiring `recordsPerFile` records in each file, or any
    /// positive number when nil (for the small files of the tests).
    static func loadPixels(directory: String, split: DatasetSplit, recordsPerFile: Int?) throws -> LabeledPixels {
        let nested = DataFiles.join(directory, "cifar-10-batches-bin")
        let names = fileNames(split)
        let folder = DataFiles.isFile(DataFiles.join(nested, names[0])) ? nested : directory
        var labels: [Int] = []
        var pixels: [UInt8] = []
        for name in names {
            let path = DataFiles.join(folder, name)
            guard DataFiles.isFile(path) else {
                throw DataError(file: path, field: "open", "the CIFAR-10 batch file expected (in \(directory) or \(nested)), not found")
            }
            // Official files are 30 730 000 bytes; cap the read well above that.
            let bytes = try DataFiles.read(path, maximumSize: 1 << 28)
            if let recordsPerFile, bytes.count != recordsPerFile * recordSize {
                throw DataError(
                    file: path, field: "size",
                    "\(recordsPerFile * recordSize) bytes expected (\(recordsPerFile) records of \(recordSize) bytes, as in the official batch files), got \(bytes.count)\(bytes.count % recordSize == 0 ? " = \(bytes.count / recordSize) records" : "")")
            }
            let part = try parseRecords(bytes, source: path)
            labels += part.labels
            pixels += part.pixels
        }
        return LabeledPixels(pixels: pixels, imageShape: [3, 32, 32], labels: labels, classCount: 10)
    }
}
