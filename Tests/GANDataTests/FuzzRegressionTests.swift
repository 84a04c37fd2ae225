import Foundation
import XCTest
import GANTestSupport
@testable import GANData

/// Replays the fuzzing inputs of the GANData parsers (see Fuzz/run.sh):
///
/// - every seed in `Fuzz/seeds/<target>/` (valid files) must parse;
/// - every saved input in `Tests/GANDataTests/FuzzRegressions/<target>-<n>.bin` (inputs that once
///   trapped or exhausted memory) must make its parser return or throw a `DataError`.
///
/// A parser that traps kills the test process, so reaching the end of each test is the check.
final class FuzzRegressionTests: XCTestCase {
    /// Runs the parser of fuzz target `target` on `bytes`.
    private func parse(_ target: String, _ bytes: [UInt8], name: String) throws {
        switch target {
        case "gzip":
            if name.hasSuffix(".zlib") {
                _ = try Gzip.zlibInflate(bytes, source: name)
            } else {
                _ = try Gzip.decompress(bytes, source: name)
            }
        case "idx":
            _ = try IDX.parse(bytes, source: name)
            if name.contains("images") || bytes.prefix(4) == [0, 0, 8, 3] {
                _ = try IDX.parseImages(bytes, source: name)
            }
            if name.contains("labels") || bytes.prefix(4) == [0, 0, 8, 1] {
                _ = try IDX.parseLabels(bytes, source: name)
            }
        case "png":
            _ = try PNG.decode(bytes, source: name)
        case "npy":
            _ = try NPY.decode(bytes, source: name)
        case "cifar":
            _ = try CIFAR10.parse(bytes, source: name)
        default:
            XCTFail("\(name): no parser for fuzz target '\(target)'")
        }
    }

    private static let targets = ["gzip", "idx", "png", "npy", "cifar"]

    func testSeedsParse() throws {
        var count = 0
        for target in Self.targets {
            let seeds = packageFiles(in: "Fuzz/seeds/\(target)")
            XCTAssertFalse(seeds.isEmpty, "Fuzz/seeds/\(target) holds no seeds (run python3 Fuzz/make_seeds.py)")
            for url in seeds {
                let bytes = [UInt8](try Data(contentsOf: url))
                XCTAssertNoThrow(try parse(target, bytes, name: url.lastPathComponent), "seed \(target)/\(url.lastPathComponent)")
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 0)
    }

    func testSavedFuzzInputsReturnOrThrowDataError() throws {
        let saved = packageFiles(in: "Tests/GANDataTests/FuzzRegressions").filter { $0.pathExtension == "bin" }
        // An empty or missing folder would make this test pass without checking anything.
        XCTAssertFalse(saved.isEmpty, "Tests/GANDataTests/FuzzRegressions holds no <target>-<n>.bin inputs")
        for url in saved {
            let name = url.lastPathComponent
            guard let target = name.split(separator: "-").first.map(String.init), Self.targets.contains(target) else {
                XCTFail("\(name): expected a name <target>-<n>.bin with target one of \(Self.targets)")
                continue
            }
            let bytes = [UInt8](try Data(contentsOf: url))
            // Every entry point the fuzz target calls, each on its own.
            var calls: [() throws -> Void] = []
            switch target {
            case "gzip":
                calls = [{ _ = try Gzip.decompress(bytes, source: name) },
                         { _ = try Gzip.decompress(bytes, source: name, maximumSize: 1000) },
                         { _ = try Gzip.zlibInflate(bytes, source: name) }]
            case "idx":
                calls = [{ _ = try IDX.parse(bytes, source: name) },
                         { _ = try IDX.parseImages(bytes, source: name) },
                         { _ = try IDX.parseLabels(bytes, source: name) }]
            default:
                calls = [{ try self.parse(target, bytes, name: name) }]
            }
            for call in calls {
                do {
                    try call()
                } catch is DataError {
                    // A clean rejection is what these inputs need.
                } catch {
                    XCTFail("\(name): expected a DataError or a result, got \(type(of: error)): \(error)")
                }
            }
        }
    }
}
