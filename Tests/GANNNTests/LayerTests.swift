import GANNN
import GANTestSupport
import XCTest

/// Finite-difference checks for every layer, with respect to inputs and parameters, plus names.
final class LayerTests: XCTestCase {
    let rng = RandomGenerator(seed: 100)

    func checkLayer(_ layer: any Layer, input shape: [Int], _ message: String = "",
                    file: StaticString = #filePath, line: UInt = #line) {
        let x = randomVariable(shape, seed: 101)
        assertGradientsMatchFiniteDifferences(wrt: [x] + layer.parameters, message, file: file, line: line) { layer(x) }
    }

    func testLinearAndNames() {
        let l = Linear(7, 5, rng: rng)
        XCTAssertEqual(l.namedParameters().map(\.name), ["weight", "bias"])
        XCTAssertEqual(l.weight.shape, [5, 7])
        let bound = 1 / Float(7).squareRoot()
        XCTAssertLessThanOrEqual(l.weight.value.scalars.map(abs).max()!, bound)
        checkLayer(l, input: [3, 7])
        checkLayer(Linear(4, 3, bias: false, rng: rng), input: [2, 4], "no bias")
    }

    func testConv2dLayer() {
        let c = Conv2d(3, 4, kernelSize: 3, stride: 2, padding: 1, rng: rng)
        XCTAssertEqual(c.weight.shape, [4, 3, 3, 3])
        checkLayer(c, input: [2, 3, 7, 5])
    }

    func testConvTranspose2dLayer() {
        let c = ConvTranspose2d(3, 2, kernelSize: 4, stride: 2, padding: 1, rng: rng)
        XCTAssertEqual(c.weight.shape, [3, 2, 4, 4], "PyTorch layout [in, out, k, k]")
        checkLayer(c, input: [2, 3, 3, 5])
        checkLayer(ConvTranspose2d(2, 3, kernelSize: 5, stride: 2, padding: 2, outputPadding: 1, bias: false, rng: rng),
                   input: [1, 2, 3, 3], "output padding")
    }

    /// Only batch norm couples the rows of a batch; a container says so when any layer in it does.
    func testModulesSayWhetherTheyMixBatchRows() {
        let rng = RandomGenerator(seed: 90)
        XCTAssertFalse(Sequential([Linear(3, 4, rng: rng), LeakyReLU(negativeSlope: 0.2)]).anyModuleMixesBatchRows)
        XCTAssertTrue(Sequential([Linear(3, 4, rng: rng), BatchNorm1d(4), ReLU()]).anyModuleMixesBatchRows)
    }

    func testBatchNormLayersTrainAndEval() {
        let bn2 = BatchNorm2d(3)
        bn2.weight!.value = rng.uniform([3], low: 0.5, high: 1.5)
        checkLayer(bn2, input: [4, 3, 3, 5], "train 2d")
        let bn1 = BatchNorm1d(5)
        checkLayer(bn1, input: [6, 5], "train 1d")
        bn1.eval()
        checkLayer(bn1, input: [6, 5], "eval 1d")
        XCTAssertEqual(bn2.namedBuffers().map(\.name), ["running_mean", "running_var", "num_batches_tracked"])
        XCTAssertEqual(bn2.namedParameters().map(\.name), ["weight", "bias"])
    }

    func testBatchNormNormalisesPerChannelNotPerPosition() {
        // Channel c holds values c·100 + noise at every position: per-channel statistics remove the offset.
        let bn = BatchNorm2d(2, affine: false)
        var x = rng.normal([8, 2, 3, 3])
        x = x + Tensor(shape: [1, 2, 1, 1], values: [0, 100])
        let y = bn(Variable(x)).value
        for c in 0..<2 {
            var values = [Float]()
            for n in 0..<8 { for i in 0..<3 { for j in 0..<3 { values.append(y[n, c, i, j]) } } }
            let mean = values.reduce(0, +) / Float(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)
            XCTAssertEqual(mean, 0, accuracy: 1e-4)
            XCTAssertEqual(variance, 1, accuracy: 1e-3)
        }
        XCTAssertEqual(bn.runningMean.value.scalars[1], 10, accuracy: 0.5, "momentum 0.1 of a mean near 100")
    }

    func testMaxoutEmbeddingActivationsAndContainers() {
        checkLayer(Maxout(6, units: 4, pieces: 3, rng: rng), input: [3, 6], "maxout")
        let e = Embedding(count: 5, dimension: 3, rng: rng)
        assertGradientsMatchFiniteDifferences(wrt: e.parameters) { e([1, 4, 1]) }
        checkLayer(Sequential { Linear(5, 4, rng: rng); Tanh(); Linear(4, 3, rng: rng); Sigmoid() }, input: [2, 5])
        checkLayer(Sequential { Reshape([2, 3]); Flatten(); LeakyReLU(negativeSlope: 0.2) }, input: [2, 6])
        checkLayer(Concat([Linear(3, 2, rng: rng), Linear(3, 4, rng: rng)]), input: [2, 3], "concat")
    }

    func testDropoutTrainingAndEvaluation() {
        let dropRNG = RandomGenerator(seed: 7)
        // p = 0.2, not 0.5: at 0.5 keep and drop have the same probability and 1/p = 1/(1 − p),
        // so swapping them would pass.
        let d = Dropout(probability: 0.2, rng: dropRNG)
        let x = randomVariable([4, 50], seed: 102)
        let saved = dropRNG.stateWords
        assertGradientsMatchFiniteDifferences(wrt: [x]) {
            dropRNG.stateWords = saved          // the same mask on every evaluation
            return d(x)
        }
        let y = d(Variable(Tensor(ones: [100, 100]))).value.scalars
        XCTAssertTrue(y.allSatisfy { $0 == 0 || $0 == 1.25 }, "survivors scaled by 1/(1 − p)")
        XCTAssertEqual(Float(y.filter { $0 == 0 }.count) / 10000, 0.2, accuracy: 0.02)
        d.eval()
        XCTAssertEqual(d(x).value, x.value)
    }

    func testSequentialNamesAreLikePyTorch() {
        final class Net: Module {
            let main = Sequential { Conv2d(1, 2, kernelSize: 3, bias: false, rng: RandomGenerator(seed: 1)); BatchNorm2d(2); ReLU() }
            let head = Linear(2, 1, rng: RandomGenerator(seed: 2))
        }
        let net = Net()
        XCTAssertEqual(net.namedParameters().map(\.name), ["main.0.weight", "main.1.weight", "main.1.bias", "head.weight", "head.bias"])
        XCTAssertEqual(net.namedBuffers().map(\.name), ["main.1.running_mean", "main.1.running_var", "main.1.num_batches_tracked"])
        net.eval()
        var allEval = true
        net.forEachModule { allEval = allEval && !$0.isTraining }
        XCTAssertTrue(allEval)
        XCTAssertEqual(net.parameterCount, 18 + 2 + 2 + 2 + 1)
    }

    /// `Sequential` runs batch norm and a following ReLU or LeakyReLU (slope ≥ 0) as one op, with
    /// the same outputs, gradients and running statistics as layer by layer, in training and in
    /// evaluation; a negative slope stays two ops.
    func testSequentialFusesBatchNormAndActivation() {
        func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }
        func net() -> Sequential {
            let rng = RandomGenerator(seed: 110)
            return Sequential {
                Conv2d(2, 3, kernelSize: 3, stride: 2, padding: 1, rng: rng); BatchNorm2d(3); ReLU()
                Conv2d(3, 4, kernelSize: 3, rng: rng); BatchNorm2d(4); LeakyReLU(negativeSlope: 0.2)
                Flatten(); Linear(4 * 3 * 3, 5, rng: rng); BatchNorm1d(5); LeakyReLU(negativeSlope: -0.5)
            }
        }
        defer { Sequential.fusesBatchNormActivation = true }
        let x = randomVariable([6, 2, 9, 9], seed: 111)
        var runs: [(output: Variable, gradients: [Tensor], buffers: [Tensor], evaluation: Tensor)] = []
        for fuse in [true, false] {
            Sequential.fusesBatchNormActivation = fuse
            let n = net()
            let y = n(x)
            let gradients = gradients(of: y.squared().sum(), wrt: n.parameters).map(\.value)
            n.eval()
            runs.append((y, gradients, n.namedBuffers().map(\.buffer.value), n(x).value))
        }
        XCTAssertEqual(bits(runs[0].output.value), bits(runs[1].output.value))
        XCTAssertEqual(runs[0].gradients.map(bits), runs[1].gradients.map(bits))
        XCTAssertEqual(runs[0].buffers.map(bits), runs[1].buffers.map(bits))
        XCTAssertEqual(bits(runs[0].evaluation), bits(runs[1].evaluation))
        XCTAssertEqual(runs[0].output.opName, "leakyRelu", "a negative slope is not fused")

        Sequential.fusesBatchNormActivation = true
        let pairs = [(Sequential { BatchNorm2d(2); ReLU() }, "batchNormReLU", "channelAffineReLU"),
                     (Sequential { BatchNorm2d(2); LeakyReLU(negativeSlope: 0.2) }, "batchNormLeakyReLU", "channelAffineLeakyReLU")]
        for (pair, training, evaluation) in pairs {
            let input = randomVariable([3, 2, 2, 2], seed: 112)
            XCTAssertEqual(pair(input).opName, training)
            pair.eval()
            XCTAssertEqual(pair(input).opName, evaluation)
        }
    }

    /// In inference (evaluation mode, no graph recorded) `Sequential`'s batch norms write over the
    /// previous layer's output: the same values bit for bit, three buffers fewer per batch norm, and
    /// the caller's input untouched — also when the first layer is a batch norm (the caller holds
    /// its input) or a reshape (its output shares the input's values, so they are copied first).
    func testSequentialInferenceWritesBatchNormOverItsInput() {
        func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }
        func buffersTaken(_ body: () -> Tensor) -> (Tensor, Int) {
            let before = BufferPool.currentStatistics
            let y = body()
            let after = BufferPool.currentStatistics
            return (y, after.reused + after.allocated - before.reused - before.allocated)
        }
        let rng = RandomGenerator(seed: 113)
        let n = Sequential {
            Conv2d(2, 3, kernelSize: 3, stride: 2, padding: 1, rng: rng); BatchNorm2d(3); ReLU()
            Conv2d(3, 4, kernelSize: 3, rng: rng); BatchNorm2d(4); LeakyReLU(negativeSlope: 0.2)
            Flatten(); Linear(4 * 3 * 3, 5, rng: rng); BatchNorm1d(5); LeakyReLU(negativeSlope: -0.5)
        }
        let x = randomVariable([6, 2, 9, 9], seed: 114)
        _ = n(x)  // running statistics away from 0 and 1
        n.eval()
        let xBits = bits(x.value)
        let (recorded, recordedBuffers) = buffersTaken { n(x).value }      // gradients on: out of place
        let (inference, inferenceBuffers) = buffersTaken { withoutGradients { n(x).value } }
        XCTAssertEqual(bits(inference), bits(recorded))
        // Per batch norm: no output buffer, and the folded scale and shift computed on tensors
        // (2 buffers) instead of by variable ops (4: 1/√(var + ε), scale, mean·scale, shift).
        XCTAssertEqual(recordedBuffers - inferenceBuffers, 3 * (1 + 2), "three buffers fewer per batch norm")
        XCTAssertEqual(bits(x.value), xBits)

        for first in [Sequential { BatchNorm2d(2); ReLU() }, Sequential { Flatten(); BatchNorm1d(2 * 9 * 9) }] {
            _ = first(x)
            first.eval()
            let expected = first(x).value
            XCTAssertEqual(bits(withoutGradients { first(x).value }), bits(expected))
            XCTAssertEqual(bits(x.value), xBits, "the caller's input is not written")
        }
    }

    func testStateDictRoundTripAndErrors() throws {
        let a = Sequential { Linear(3, 2, rng: RandomGenerator(seed: 3)); BatchNorm1d(2) }
        let b = Sequential { Linear(3, 2, rng: RandomGenerator(seed: 4)); BatchNorm1d(2) }
        try b.load(stateDict: a.stateDict())
        XCTAssertEqual(b.stateDict(), a.stateDict())
        var bad = a.stateDict()
        bad["0.weight"] = Tensor(zeros: [2, 4])
        XCTAssertThrowsError(try b.load(stateDict: bad)) { XCTAssertTrue("\($0)".contains("0.weight")) }
        bad = a.stateDict(); bad["extra"] = Tensor(zeros: [1])
        XCTAssertThrowsError(try b.load(stateDict: bad)) { XCTAssertTrue("\($0)".contains("extra")) }
        XCTAssertNoThrow(try b.load(stateDict: bad, strict: false))
    }
}
