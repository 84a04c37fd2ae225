import GANAutograd
import GANTestSupport
import XCTest

final class GraphTests: XCTestCase {
    func testDetachedStopsTheGradient() {
        let x = randomVariable([3], seed: 50)
        let y = (x * x.detached()).sum()   // d/dx = x (the detached factor is a constant)
        XCTAssertEqual(gradients(of: y, wrt: [x])[0].value, x.value)
    }

    func testNoGradientScopeRecordsNothing() {
        let x = randomVariable([3], seed: 51)
        let y = withoutGradients { (x * 2).exp() }
        XCTAssertFalse(y.requiresGradient)
        XCTAssertEqual(y.opName, "leaf")
        XCTAssertTrue((x * 2).requiresGradient)
    }

    func testUnrelatedVariablesGetZeroGradients() {
        let x = randomVariable([2], seed: 52), unused = randomVariable([4], seed: 53)
        let g = gradients(of: x.sum(), wrt: [x, unused])
        XCTAssertEqual(g[1].value, Tensor(zeros: [4]))
    }

    func testPullbacksAreAskedOnlyForNeededInputs() {
        // A custom op that records which of its inputs the walk asked cotangents for.
        final class Log { var asked: [NeededInputs] = [] }
        let log = Log()
        func tracked(_ a: Variable, _ b: Variable) -> Variable {
            Variable.record("tracked", a.value * b.value, inputs: Variable.Inputs(a, b)) { g, need in
                log.asked.append(need)
                return Variable.Cotangents(need[0] ? g * b : nil, need[1] ? g * a : nil)
            }
        }
        let generatorWeight = randomVariable([3], seed: 54)
        let discriminatorWeight = randomVariable([3], seed: 55)
        let fake = generatorWeight * 2
        let loss = tracked(fake, discriminatorWeight).sum()
        _ = gradients(of: loss, wrt: [generatorWeight])
        XCTAssertEqual(log.asked, [NeededInputs(0)], "the discriminator-side cotangent must not be formed")
        _ = gradients(of: loss, wrt: [discriminatorWeight])
        XCTAssertEqual(log.asked.last, NeededInputs(1))
    }

    func testInputsAndPullbackAreBuiltOnlyWhenRecorded() {
        final class Count { var inputs = 0, pullbacks = 0 }
        let count = Count()
        func op(_ a: Variable) -> Variable {
            Variable.record(
                "counted", a.value * 2, inputs: { count.inputs += 1; return Variable.Inputs(a) }(),
                pullback: { () -> Variable.Pullback in
                    count.pullbacks += 1
                    return { g, _ in Variable.Cotangents(g * 2) }
                }())
        }
        let parameter = randomVariable([3], seed: 60)
        _ = withoutGradients { op(parameter) }
        XCTAssertEqual([count.inputs, count.pullbacks], [0, 0], "gradients off: nothing built")
        _ = op(Variable(parameter.value))
        XCTAssertEqual([count.inputs, count.pullbacks], [1, 0], "constant inputs: no pullback built")
        let y = op(parameter)
        XCTAssertEqual([count.inputs, count.pullbacks], [2, 1])
        XCTAssertEqual(y.opName, "counted")
        XCTAssertEqual(gradients(of: y.sum(), wrt: [parameter])[0].value, Tensor(shape: [3], repeating: 2))
    }

    /// An op's inputs and cotangents: up to three inline, more in the array, in order, however
    /// they are built.
    func testSmallListKeepsItsElementsInOrder() {
        let v = (0..<6).map { Variable(Tensor(scalar: Float($0))) }
        for n in 0...6 {
            let built = Variable.Inputs(Array(v[..<n]))
            var appended = Variable.Inputs()
            for x in v[..<n] { appended.append(x) }
            for list in [built, appended] {
                XCTAssertEqual(list.count, n)
                XCTAssertEqual(list.map { ObjectIdentifier($0) }, v[..<n].map { ObjectIdentifier($0) }, "\(n) elements")
            }
        }
        XCTAssertEqual(Variable.Inputs(v[0], v[1], v[2]).map(\.value.item), [0, 1, 2])
        let cotangents = Variable.Cotangents(nil, v[4])
        XCTAssertEqual(cotangents.count, 2)
        XCTAssertNil(cotangents[0])
        XCTAssertTrue(cotangents[1] === v[4])
    }

    func testNeededInputsBeyondSixtyFour() {
        var needed = NeededInputs(0, 63)
        needed.insert(64)
        needed.insert(99)
        XCTAssertEqual((0..<100).filter { needed[$0] }, [0, 63, 64, 99])
        XCTAssertEqual(NeededInputs(70, 65), NeededInputs(65, 70), "equality ignores insertion order")
        XCTAssertTrue(NeededInputs().isEmpty)
        XCTAssertFalse(needed.isEmpty)
        // A concatenation of 70 variables gets the gradient of each, the last ones included.
        let parts = (0..<70).map { randomVariable([2], seed: 100 + $0) }
        let weights = RandomGenerator(seed: 9).normal([140])
        let loss = (concat(parts, axis: 0) * Variable(weights)).sum()
        let g = gradients(of: loss, wrt: [parts[0], parts[69]])
        XCTAssertEqual(g[0].value.scalars, Array(weights.scalars[0..<2]))
        XCTAssertEqual(g[1].value.scalars, Array(weights.scalars[138..<140]))
    }

    func testGradientAccumulatesOverFanOut() {
        let x = randomVariable([4], seed: 56)
        let y = (x * 3 + x.exp() + x).sum()
        let expected = x.value.map { 4 + exp($0) }
        assertClose(gradients(of: y, wrt: [x])[0].value, expected, rtol: 1e-6)
    }

    func testGradientWithRespectToAnIntermediate() {
        let x = randomVariable([3], seed: 57)
        let h = x * 2
        let y = (h * h).sum()
        let g = gradients(of: y, wrt: [h, x])
        assertClose(g[0].value, h.value * 2, rtol: 1e-6)
        assertClose(g[1].value, h.value * 4, rtol: 1e-6)
    }

    func testSecondDerivativeOfAScalarFunction() {
        let x = Variable(Tensor(shape: [1], values: [0.7]), requiresGradient: true)
        let y = x.tanh().sum()
        let dy = gradients(of: y, wrt: [x], createGraph: true)[0]
        XCTAssertTrue(dy.requiresGradient)
        let d2y = gradients(of: dy.sum(), wrt: [x])[0].value.item
        let t = tanh(Float(0.7))
        XCTAssertEqual(d2y, -2 * t * (1 - t * t), accuracy: 1e-6)
    }
}
