/// Weight initialisations used by PyTorch's layers and by the GAN papers.
public enum Initialization {
    /// U(−bound, bound), PyTorch's default for `Linear` and `Conv*` with `bound = 1/√fanIn`
    /// (kaiming_uniform with a = √5 gives exactly this bound).
    public static func uniform(_ shape: [Int], bound: Float, rng: RandomGenerator) -> Tensor {
        rng.uniform(shape, low: -bound, high: bound)
    }

    /// The PyTorch default bound `1/√fanIn`.
    public static func defaultBound(fanIn: Int) -> Float { 1 / Float(max(fanIn, 1)).squareRoot() }

    /// N(mean, std²), e.g. DCGAN's N(0, 0.02²).
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float, rng: RandomGenerator) -> Tensor {
        rng.normal(shape, mean: mean, std: std)
    }
}
