import RealModule

/// A seeded random stream: xoshiro256** seeded through SplitMix64.
///
/// Streams are keyed by `(seed, stream)`, so each mini-batch chunk can own an independent stream
/// whatever thread runs it: the same seed gives the same numbers with any thread count.
public struct RandomStream: Sendable, Equatable {
  @usableFromInline var state: (UInt64, UInt64, UInt64, UInt64)

  public init(seed: UInt64, stream: UInt64 = 0) {
    var sm = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03
    func next() -> UInt64 {
      sm &+= 0x9E37_79B9_7F4A_7C15
      var z = sm
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    // Mix the stream id in twice so nearby (seed, stream) pairs give unrelated states.
    _ = next()
    sm ^= stream
    state = (next(), next(), next(), next())
  }

  /// Restores a stream saved with `stateWords`.
  public init?(stateWords w: [UInt64]) {
    guard w.count == 4, w.contains(where: { $0 != 0 }) else { return nil }
    state = (w[0], w[1], w[2], w[3])
  }

  public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

  public static func == (a: RandomStream, b: RandomStream) -> Bool { a.stateWords == b.stateWords }

  @inlinable @inline(__always)
  public mutating func next() -> UInt64 {
    let result = rotl(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotl(state.3, 45)
    return result
  }

  @inlinable @inline(__always)
  func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

  /// Uniform in [0, 1) with 24 random bits.
  @inlinable @inline(__always)
  public mutating func nextFloat() -> Float {
    Float(next() >> 40) * 0x1.0p-24
  }

  /// Uniform in [0, n).
  public mutating func nextInt(below n: Int) -> Int {
    precondition(n > 0)
    // Lemire's multiply-shift; the bias is below 2^-32 for the sizes used here.
    return Int((UInt64(UInt32(truncatingIfNeeded: next() >> 32)) &* UInt64(n)) >> 32)
  }

  /// Fills `buffer` with uniforms in [0, 1), two per 64-bit draw.
  public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>) {
    var i = 0
    let n = buffer.count
    while i + 1 < n {
      let r = next()
      buffer[i] = Float(r >> 40) * 0x1.0p-24
      buffer[i + 1] = Float((r >> 8) & 0xFF_FFFF) * 0x1.0p-24
      i += 2
    }
    if i < n { buffer[i] = nextFloat() }
  }

  /// A standard normal draw (Box–Muller).
  public mutating func nextNormal() -> Float {
    let u1 = max(Double(next() >> 11) * 0x1.0p-53, 1e-300)
    let u2 = Double(next() >> 11) * 0x1.0p-53
    return Float((-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2))
  }

  /// A random permutation of `0..<n` (Fisher–Yates).
  public mutating func permutation(_ n: Int) -> [Int] {
    var p = Array(0..<n)
    if n > 1 {
      for i in stride(from: n - 1, to: 0, by: -1) {
        p.swapAt(i, nextInt(below: i + 1))
      }
    }
    return p
  }
}
