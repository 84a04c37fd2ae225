@_exported import GANAutograd

/// A tensor a module keeps that is not trained (batch-norm running statistics).
public final class Buffer {
    public var value: Tensor
    public init(_ value: Tensor) { self.value = value }
}

/// Base class of every layer and model.
///
/// Parameters (`Variable` properties that require gradients), buffers (`Buffer` properties) and
/// child modules (`Module`, `Module?` and `[Module]` properties) are found by reflection, in
/// declaration order, and named like PyTorch's `state_dict`: the property name in snake_case, dotted
/// through children (`main.0.weight`, `bn.running_var`). Subclasses that need other names override
/// ``children``.
open class Module {
    /// Training mode (dropout active, batch statistics used and tracked) or evaluation mode.
    public private(set) var isTraining = true

    public init() {}

    /// Direct children with their names.
    open var children: [(name: String, module: Module)] {
        var out = [(name: String, module: Module)]()
        for (label, value) in reflectedProperties() {
            if let m = value as? Module { out.append((label, m)) }
            else if let ms = value as? [Module] {
                for (i, m) in ms.enumerated() { out.append(("\(label).\(i)", m)) }
            }
        }
        return out
    }

    /// This module's own parameters (not its children's).
    open var localParameters: [(name: String, parameter: Variable)] {
        reflectedProperties().compactMap { label, value in
            (value as? Variable).flatMap { $0.requiresGradient ? (label, $0) : nil }
        }
    }

    /// This module's own buffers.
    open var localBuffers: [(name: String, buffer: Buffer)] {
        reflectedProperties().compactMap { label, value in (value as? Buffer).map { (label, $0) } }
    }

    /// Every parameter of this module and its descendants, with dotted names, in declaration order.
    public func namedParameters() -> [(name: String, parameter: Variable)] {
        localParameters + children.flatMap { child in
            child.module.namedParameters().map { ("\(child.name).\($0.name)", $0.parameter) }
        }
    }

    /// The parameters without names.
    public var parameters: [Variable] { namedParameters().map(\.parameter) }

    /// Every buffer of this module and its descendants, with dotted names.
    public func namedBuffers() -> [(name: String, buffer: Buffer)] {
        localBuffers + children.flatMap { child in
            child.module.namedBuffers().map { ("\(child.name).\($0.name)", $0.buffer) }
        }
    }

    /// True when this module's output for one row of a batch depends on the other rows (batch
    /// norm's batch statistics), so two batches may not be scored as one concatenated batch.
    open var mixesBatchRows: Bool { false }

    /// True when this module or any descendant mixes batch rows (``mixesBatchRows``).
    public var anyModuleMixesBatchRows: Bool {
        var mixes = false
        forEachModule { mixes = mixes || $0.mixesBatchRows }
        return mixes
    }

    /// Visits this module and every descendant, parents first.
    public func forEachModule(_ body: (Module) -> Void) {
        body(self)
        for c in children { c.module.forEachModule(body) }
    }

    /// Sets training mode on this module and all descendants.
    public func train(_ on: Bool = true) { forEachModule { $0.isTraining = on } }

    /// Sets evaluation mode on this module and all descendants.
    public func eval() { train(false) }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Parameters and buffers by dotted name (PyTorch's `state_dict()`).
    public func stateDict() -> [String: Tensor] {
        var out = [String: Tensor]()
        for (n, p) in namedParameters() { out[n] = p.value }
        for (n, b) in namedBuffers() { out[n] = b.value }
        return out
    }

    /// Loads values by dotted name. With `strict`, missing and unexpected names are errors;
    /// a shape mismatch always is. Nothing is changed unless every check passes.
    public func load(stateDict: [String: Tensor], strict: Bool = true, source: String = "state dict") throws {
        var targets = [String: (shape: [Int], set: (Tensor) -> Void)]()
        for (n, p) in namedParameters() { targets[n] = (p.shape, { p.value = $0 }) }
        for (n, b) in namedBuffers() { targets[n] = (b.value.shape, { b.value = $0 }) }
        let missing = targets.keys.filter { stateDict[$0] == nil }.sorted()
        let unexpected = stateDict.keys.filter { targets[$0] == nil }.sorted()
        if strict && !(missing.isEmpty && unexpected.isEmpty) {
            throw StateDictError(source: source, problem: "missing keys \(missing), unexpected keys \(unexpected)")
        }
        for (n, t) in stateDict.sorted(by: { $0.key < $1.key }) {
            guard let target = targets[n] else { continue }
            if t.shape != target.shape {
                throw StateDictError(source: source, problem: "'\(n)' has shape \(t.shape), the model expects \(target.shape)")
            }
        }
        for (n, t) in stateDict { targets[n]?.set(t) }
    }

    private func reflectedProperties() -> [(String, Any)] {
        var mirrors = [Mirror]()
        var m: Mirror? = Mirror(reflecting: self)
        while let current = m { mirrors.append(current); m = current.superclassMirror }
        // Superclass properties first, as declared.
        return mirrors.reversed().flatMap { mirror in
            mirror.children.compactMap { child -> (String, Any)? in
                guard let label = child.label, !label.hasPrefix("_") else { return nil }
                return (snakeCase(label), unwrapOptional(child.value))
            }
        }
    }
}

/// Unwraps `Optional<T>.some(x)` stored in an `Any` (a property of optional type); returns `()` for nil.
private func unwrapOptional(_ value: Any) -> Any {
    let mirror = Mirror(reflecting: value)
    guard mirror.displayStyle == .optional else { return value }
    return mirror.children.first?.value ?? ()
}

/// `runningMean` → `running_mean`.
func snakeCase(_ s: String) -> String {
    var out = ""
    for ch in s {
        if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
    }
    return out
}

/// A state dict that does not fit the model.
public struct StateDictError: Error, CustomStringConvertible {
    public let source: String
    public let problem: String
    public var description: String { "\(source): \(problem)" }
}

/// A module mapping one variable to another; `Sequential` chains them.
public protocol Layer: Module {
    func callAsFunction(_ x: Variable) -> Variable
}
