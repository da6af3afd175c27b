/// Vectorised elementwise functions for the hot loops (pooling, sigmoid), on SIMD16 lanes.
///
/// `exp` is Cephes' single-precision polynomial (relative error below 2e-7 on [-87, 88]); inputs are
/// clamped to that range, so it never returns inf or NaN for finite input.
public enum VectorMath {
  public typealias Lanes = SIMD16<Float>

  @inline(__always)
  public static func exp(_ v: Lanes) -> Lanes {
    var x = v.clamped(lowerBound: Lanes(repeating: -87.3), upperBound: Lanes(repeating: 88.3))
    let fx = (x * 1.442_695_04 + 0.5).rounded(.down)
    x = x - fx * 0.693_359_375
    x = x + fx * 2.121_944_4e-4
    let z = x * x
    var y: Lanes = Lanes(repeating: 1.987_569_15e-4)
    y = y * x + 1.398_199_950_7e-3
    y = y * x + 8.333_451_907_3e-3
    y = y * x + 4.166_579_589_4e-2
    y = y * x + 1.666_666_545_9e-1
    y = y * x + 5.000_000_120_1e-1
    y = y * z + x + 1
    let n = SIMD16<Int32>(fx, rounding: .towardZero)
    let pow2 = unsafeBitCast((n &+ 127) &<< 23, to: Lanes.self)
    return y * pow2
  }

  @inline(__always)
  public static func exp(_ x: Float) -> Float {
    exp(Lanes(repeating: x))[0]
  }

  /// x ← exp(x), in place.
  public static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    let raw = UnsafeMutableRawPointer(x)
    while i + 16 <= count {
      let v = raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
      raw.storeBytes(of: exp(v), toByteOffset: i * 4, as: Lanes.self)
      i += 16
    }
    if i < count {
      var tail = Lanes(repeating: 0)
      for j in 0..<(count - i) { tail[j] = x[i + j] }
      tail = exp(tail)
      for j in 0..<(count - i) { x[i + j] = tail[j] }
    }
  }

  /// x ← 1 / (1 + exp(-x)), in place.
  public static func sigmoidInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    let raw = UnsafeMutableRawPointer(x)
    let one = Lanes(repeating: 1)
    while i + 16 <= count {
      let v = raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
      raw.storeBytes(of: one / (one + exp(-v)), toByteOffset: i * 4, as: Lanes.self)
      i += 16
    }
    for j in i..<count { x[j] = 1 / (1 + exp(-x[j])) }
  }
}
