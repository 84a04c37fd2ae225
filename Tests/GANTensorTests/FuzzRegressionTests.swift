import Foundation
import XCTest
import GANTestSupport
import GANTensor

/// Replays the fuzzing inputs of `SafeTensors.decode` (see Fuzz/run.sh):
///
/// - every seed in `Fuzz/seeds/safetensors/` (valid files) must decode;
/// - every saved input in `Tests/GANTensorTests/FuzzRegressions/safetensors-<n>.bin` (inputs that
///   once trapped or exhausted memory) must decode or throw a `SafeTensorsError`.
///
/// A decoder that traps kills the test process, so reaching the end of each test is the check.
final class SafeTensorsFuzzRegressionTests: XCTestCase {
    func testSeedsDecode() throws {
        let seeds = packageFiles(in: "Fuzz/seeds/safetensors")
        XCTAssertFalse(seeds.isEmpty, "Fuzz/seeds/safetensors holds no seeds (run python3 Fuzz/make_seeds.py)")
        for url in seeds {
            let bytes = [UInt8](try Data(contentsOf: url))
            XCTAssertNoThrow(try SafeTensors.decode(bytes, source: url.lastPathComponent), "seed \(url.lastPathComponent)")
        }
    }

    func testSavedFuzzInputsDecodeOrThrowSafeTensorsError() throws {
        let saved = packageFiles(in: "Tests/GANTensorTests/FuzzRegressions").filter { $0.pathExtension == "bin" }
        // An empty or missing folder would make this test pass without checking anything.
        XCTAssertFalse(saved.isEmpty, "Tests/GANTensorTests/FuzzRegressions holds no safetensors-<n>.bin inputs")
        for url in saved {
            let bytes = [UInt8](try Data(contentsOf: url))
            do {
                _ = try SafeTensors.decode(bytes, source: url.lastPathComponent)
            } catch is SafeTensorsError {
                // A clean rejection is what these inputs need.
            } catch {
                XCTFail("\(url.lastPathComponent): expected a SafeTensorsError or a result, got \(type(of: error)): \(error)")
            }
        }
    }
}
