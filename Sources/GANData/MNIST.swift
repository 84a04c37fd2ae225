import GANTensor

/// The two 28×28 grey-scale, 10-class data sets stored in IDX files with MNIST's file names.
public enum MNISTVariant: String, CaseIterable, Sendable {
    /// Handwritten digits 0–9 (LeCun, Cortes, Burges).
    case mnist
    /// Zalando's Fashion-MNIST: clothing articles in 10 classes (Xiao, Rasul, Vollgraf, 2017).
    case fashionMNIST

    /// The sub-folder of the data directory the downloader uses: `mnist` or `fashion-mnist`.
    public var folderName: String { self == .mnist ? "mnist" : "fashion-mnist" }

    /// Class names, index = label.
    public var classNames: [String] {
        switch self {
        case .mnist: return (0...9).map(String.init)
        case .fashionMNIST:
            return ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        }
    }

    /// Base URLs, tried in order, each followed by the file name.
    public var mirrors: [String] {
        switch self {
        case .mnist:
            return [
                "https://ossci-datasets.s3.amazonaws.com/mnist/",
                "https://storage.googleapis.com/cvdf-datasets/mnist/",
                "http://yann.lecun.com/exdb/mnist/",
            ]
        case .fashionMNIST:
            return [
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            ]
        }
    }

    /// The four files with their known checksums.
    ///
    /// MNIST: the well-known md5 sums of the *uncompressed* IDX files (re-compressed copies differ
    /// in their gzip wrappers but not in content). Fashion-MNIST: the md5 sums of the official
    /// `.gz` files as published in its README (no uncompressed sums are published).
    public var files: [DatasetFile] {
        switch self {
        case .mnist:
            return [
                DatasetFile(name: MNIST.fileName(.train, images: true), uncompressedMD5: "6bbc9ace898e44ae57da46a324031adb"),
                DatasetFile(name: MNIST.fileName(.train, images: false), uncompressedMD5: "a25bea736e30d166cdddb491f175f624"),
                DatasetFile(name: MNIST.fileName(.test, images: true), uncompressedMD5: "2646ac647ad5339dbf082846283269ea"),
                DatasetFile(name: MNIST.fileName(.test, images: false), uncompressedMD5: "27ae3e4e09519cfbb04c329615203637"),
            ]
        case .fashionMNIST:
            return [
                DatasetFile(name: MNIST.fileName(.train, images: true), gzipMD5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                DatasetFile(name: MNIST.fileName(.train, images: false), gzipMD5: "25c81989df183df01b3e8a0aad5dffbe"),
                DatasetFile(name: MNIST.fileName(.test, images: true), gzipMD5: "bef4ecab320f06d8554ea6380940ec79"),
                DatasetFile(name: MNIST.fileName(.test, images: false), gzipMD5: "bb300cfdad3c16e7a12a480ee83cd310"),
            ]
        }
    }

    /// The downloadable description of this data set.
    public var dataset: DownloadableDataset {
        DownloadableDataset(name: rawValue, folderName: folderName, files: files, mirrors: mirrors)
    }
}

/// Loader for MNIST and Fashion-MNIST in their original IDX files.
///
/// A directory holds `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
/// `t10k-images-idx3-ubyte.gz` and `t10k-labels-idx1-ubyte.gz` (or the same names without `.gz`).
///
/// ```swift
/// let dir = try DatasetDownloader().prepare(MNISTVariant.mnist.dataset)
/// let train = try MNIST.load(directory: dir, split: .train)   // images [60000, 1, 28, 28]
/// ```
public enum MNIST {
    /// Cap on a decompressed IDX file: 128 MiB (the largest real one, train images, is 47 MB).
    public static let maximumFileSize = 1 << 27

    /// The gzipped file name for a split's images or labels, e.g. `t10k-labels-idx1-ubyte.gz`.
    public static func fileName(_ split: DatasetSplit, images: Bool) -> String {
        let prefix = split == .train ? "train" : "t10k"
        return images ? "\(prefix)-images-idx3-ubyte.gz" : "\(prefix)-labels-idx1-ubyte.gz"
    }

    /// Reads the uncompressed content of `name` in `directory`: `name` itself (gzip), or `name`
    /// without `.gz` (raw) when only that exists. Returns the content and the path it came from.
    /// `packed` is the gzip file's bytes when the content came from one.
    static func readContent(directory: String, name: String) throws -> (bytes: [UInt8], path: String, packed: [UInt8]?) {
        let gzPath = DataFiles.join(directory, name)
        if DataFiles.isFile(gzPath) {
            let packed = try DataFiles.read(gzPath, maximumSize: maximumFileSize)
            return (try Gzip.decompress(packed, source: gzPath, maximumSize: maximumFileSize), gzPath, packed)
        }
        let rawPath = DataFiles.join(directory, String(name.dropLast(3)))
        if DataFiles.isFile(rawPath) {
            return (try DataFiles.read(rawPath, maximumSize: maximumFileSize), rawPath, nil)
        }
        throw DataError(file: gzPath, field: "open", "the file (or \(String(name.dropLast(3))) uncompressed) expected in \(directory), found neither")
    }

    /// Loads one split of MNIST or Fashion-MNIST.
    ///
    /// - Parameters:
    ///   - directory: the folder holding the four IDX files.
    ///   - verifyChecksums: also compare each file with the known md5 (uncompressed content for
    ///     MNIST; the `.gz` file for Fashion-MNIST, checked only when the `.gz` file is used).
    /// - Returns: images [N, 1, rows, columns] with values byte / 255 in [0, 1], labels in 0...9,
    ///   `classCount` 10.
    /// - Throws: ``DataError`` naming the file for a missing or malformed file, a label over 9, or
    ///   image and label counts that differ.
    public static func load(
        directory: String, split: DatasetSplit, variant: MNISTVariant = .mnist, verifyChecksums: Bool = false
    ) throws -> LabeledImages {
        try loadPixels(directory: directory, split: split, variant: variant, verifyChecksums: verifyChecksums).labeledImages
    }

    /// ``load(directory:split:variant:verifyChecksums:)`` keeping the images as their bytes
    /// (47 MB for the training split instead of 188 MB), with the same checks and errors.
    public static func loadPixels(
        directory: String, split: DatasetSplit, variant: MNISTVariant = .mnist, verifyChecksums: Bool = false
    ) throws -> LabeledPixels {
        let imageName = fileName(split, images: true)
        let labelName = fileName(split, images: false)
        let (imageBytes, imagePath, imagePacked) = try readContent(directory: directory, name: imageName)
        let (labelBytes, labelPath, labelPacked) = try readContent(directory: directory, name: labelName)
        if verifyChecksums {
            let known = variant.files
            for (name, path, content, packed) in [
                (imageName, imagePath, imageBytes, imagePacked), (labelName, labelPath, labelBytes, labelPacked),
            ] {
                guard let file = known.first(where: { $0.name == name }) else { continue }
                try file.verify(uncompressed: content, gzipped: packed, source: path)
            }
        }
        let images = try IDX.parseImages(imageBytes, source: imagePath)
        let labelValues = try IDX.parseLabels(labelBytes, source: labelPath)
        guard labelValues.count == images.count else {
            throw DataError(
                file: labelPath, field: "IDX dimensions",
                "\(images.count) labels expected (one per image in \(imagePath)), got \(labelValues.count)")
        }
        var labels: [Int] = []
        labels.reserveCapacity(labelValues.count)
        // Label i belongs to image i; every one must name one of the 10 classes.
        for (i, label) in labelValues.enumerated() {
            guard label <= 9 else {
                throw DataError(file: labelPath, field: "label \(i)", "a class in 0...9 expected, got \(label)")
            }
            labels.append(Int(label))
        }
        return LabeledPixels(pixels: images.pixels, imageShape: [1, images.rows, images.columns], labels: labels, classCount: 10)
    }
}
