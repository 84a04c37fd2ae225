import GANNN
import GANTestSupport
import XCTest

/// Values from PyTorch (tools/make_fixtures.py), matched to 1e-5 relative.
final class GoldenTests: XCTestCase {
    func fixture(_ name: String) throws -> [String: Tensor] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"),
                                "fixture \(name) missing: run tools/make_fixtures.py")
        return try SafeTensors.read(path: url.path).tensors
    }

    func gradients(of y: Variable, seed: Tensor, wrt: [Variable]) -> [Tensor] {
        GANAutograd.gradients(of: y, wrt: wrt, seed: seed).map(\.value)
    }

    /// Output and the gradients of input, weight and bias for a convolution fixture.
    func checkConvolution(_ name: String, _ layer: (Variable, Variable, Variable) -> Variable) throws {
        let f = try fixture(name)
        let x = Variable(f["x"]!, requiresGradient: true)
        let w = Variable(f["weight"]!, requiresGradient: true), b = Variable(f["bias"]!, requiresGradient: true)
        let y = layer(x, w, b)
        assertClose(y.value, f["y"]!, rtol: 1e-5, atol: 1e-5, name)
        let g = gradients(of: y, seed: f["cotangent"]!, wrt: [x, w, b])
        for (k, key) in ["dx", "dweight", "dbias"].enumerated() { assertClose(g[k], f[key]!, rtol: 1e-5, atol: 1e-5, "\(name) \(key)") }
    }

    func testConv2dMatchesPyTorch() throws {
        try checkConvolution("conv2d") { conv2d($0, weight: $1, bias: $2, stride: (2, 2), padding: (1, 1)) }
    }

    func testConvTranspose2dMatchesPyTorch() throws {
        try checkConvolution("conv_transpose2d") { convTranspose2d($0, weight: $1, bias: $2, stride: (2, 2), padding: (1, 1)) }
    }

    func testBatchNorm2dTrainingStepAndRunningStatisticsMatchPyTorch() throws {
        let f = try fixture("batchnorm2d")
        let bn = BatchNorm2d(3)
        bn.weight!.value = f["weight"]!
        bn.bias!.value = f["bias"]!
        let x = Variable(f["x"]!, requiresGradient: true)
        let y = bn(x)
        assertClose(y.value, f["y"]!, rtol: 1e-5, atol: 1e-5)
        let g = gradients(of: y, seed: f["cotangent"]!, wrt: [x, bn.weight!, bn.bias!])
        assertClose(g[0], f["dx"]!, rtol: 1e-5, atol: 1e-5)
        assertClose(g[1], f["dweight"]!, rtol: 1e-5, atol: 1e-5)
        assertClose(g[2], f["dbias"]!, rtol: 1e-5, atol: 1e-5)
        assertClose(bn.runningMean.value, f["running_mean"]!, rtol: 1e-5, atol: 1e-6)
        assertClose(bn.runningVar.value, f["running_var"]!, rtol: 1e-5, atol: 1e-6, "unbiased variance")
        bn.eval()
        assertClose(bn(Variable(f["x_eval"]!)).value, f["y_eval"]!, rtol: 1e-5, atol: 1e-5)
    }

    func testBCEWithLogitsMatchesPyTorch() throws {
        let f = try fixture("bce_with_logits")
        let logits = Variable(f["logits"]!, requiresGradient: true)
        let loss = binaryCrossEntropy(logits: logits, targets: f["targets"]!)
        assertClose(loss.value, f["loss"]!, rtol: 1e-5)
        assertClose(gradients(of: loss, seed: Tensor(scalar: 1), wrt: [logits])[0], f["dlogits"]!, rtol: 1e-5, atol: 1e-7)
    }

    func testAdamStepsMatchPyTorch() throws {
        let f = try fixture("adam")
        let p = Variable(f["p0"]!, requiresGradient: true)
        let adam = Adam([("p", p)], learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
        adam.step([f["g1"]!])
        assertClose(p.value, f["p1"]!, rtol: 1e-5, atol: 1e-7)
        adam.step([f["g2"]!])
        assertClose(p.value, f["p2"]!, rtol: 1e-5, atol: 1e-7)
        assertClose(adam.stateTensors()["p.exp_avg"]!, f["exp_avg"]!, rtol: 1e-5, atol: 1e-8)
        assertClose(adam.stateTensors()["p.exp_avg_sq"]!, f["exp_avg_sq"]!, rtol: 1e-5, atol: 1e-10)

        let q = Variable(f["p0"]!, requiresGradient: true)
        Adam([("q", q)], learningRate: 1e-3, weightDecay: 0.01).step([f["g1"]!])
        assertClose(q.value, f["p1_weight_decay"]!, rtol: 1e-5, atol: 1e-7)

        // Four steps whose gradients are small beside λ·p: the path depends on how the decay
        // enters (PyTorch's Adam adds λ·p to the gradient; AdamW would shrink p apart).
        let r = Variable(f["p0"]!, requiresGradient: true)
        let decaying = Adam([("r", r)], learningRate: 1e-2, weightDecay: 0.1)
        for g in [f["g1"]!, f["g2"]!, f["g1"]!, f["g2"]!] { decaying.step([g.map { 0.01 * $0 }]) }
        assertClose(r.value, f["p4_weight_decay"]!, rtol: 1e-5, atol: 1e-6)
    }

    func testSGDNesterovMatchesPyTorch() throws {
        let f = try fixture("sgd_nesterov")
        let p = Variable(f["p0"]!, requiresGradient: true)
        let sgd = SGD([("p", p)], learningRate: 0.1, momentum: 0.7, weightDecay: 1e-3, nesterov: true)
        for g in [f["g1"]!, f["g2"]!, f["g1"]!] { sgd.step([g]) }
        assertClose(p.value, f["p3"]!, rtol: 1e-5, atol: 1e-6)
    }
}
