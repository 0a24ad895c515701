// Where jitter comes from: a seeded generator for reproducible tests, the system one in production.

/// Injected so that jittered delays are deterministic under test.
public protocol RandomSource {
    /// A uniformly distributed value in [0, 1).
    mutating func nextUnit() -> Double
}

extension RandomSource {
    /// Converts 64 random bits into [0, 1) using the top 53 bits, so the result is exactly
    /// representable and never reaches 1.
    static func unit(fromBits bits: UInt64) -> Double {
        Double(bits >> 11) * 0x1.0p-53
    }
}

/// SplitMix64: tiny, fast, and well distributed; the same seed always gives the same sequence.
/// Not for secrets.
public struct SeededRandom: RandomSource, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func nextBits() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func nextUnit() -> Double {
        Self.unit(fromBits: nextBits())
    }
}

/// The operating system's generator (getrandom on Linux). Jitter only needs to decorrelate
/// senders, but this avoids having to seed anything at start-up.
public struct SystemRandom: RandomSource, Sendable {
    private var generator = SystemRandomNumberGenerator()

    public init() {}

    public mutating func nextUnit() -> Double {
        Self.unit(fromBits: generator.next())
    }
}
