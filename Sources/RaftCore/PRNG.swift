/// Our own deterministic pseudo-random generator (SplitMix64 to seed, xoshiro256** to draw).
///
/// The standard library's `random(in:using:)` does not promise a stable algorithm across Swift
/// versions, so every draw here is done with plain integer arithmetic: the same seed gives the same
/// sequence on every platform and compiler.
public struct SeededGenerator: Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates a generator whose whole future is fixed by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        s0 = SeededGenerator.splitMix(&sm)
        s1 = SeededGenerator.splitMix(&sm)
        s2 = SeededGenerator.splitMix(&sm)
        s3 = SeededGenerator.splitMix(&sm)
        // xoshiro must not start from the all-zero state; SplitMix64 never yields four zeros,
        // but say so where the reader can see it.
        precondition(s0 | s1 | s2 | s3 != 0)
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = SeededGenerator.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = SeededGenerator.rotl(s3, 45)
        return result
    }

    /// A uniform draw from `0..<bound` by rejection sampling (no modulo bias).
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let x = next()
            if x < limit { return x % bound }
        }
    }

    /// A uniform draw from a closed or half-open integer range.
    public mutating func next(in range: Range<Int>) -> Int {
        precondition(!range.isEmpty, "range must not be empty")
        return range.lowerBound + Int(next(below: UInt64(range.count)))
    }
}
