/// Vectorised elementwise functions for the hot loops (pooling, sigmoid), on SIMD16 lanes.
///
/// `exp` is Cephes' single-precision polynomial (relative error below 2e-7 on [-87, 88]); inputs are
/// clamped to that range, so it never returns inf or NaN for finite input.
public enum VectorMath {
  public typealias Lanes = SIMD16<Float>

  @_alwaysEmitIntoClient @inline(__always)
  public static func exp(_ v: Lanes) -> Lanes {
    // n = round(x·log2 e) by the 1.5·2²³ trick: adding it leaves n in the low mantissa bits, so both
    // the rounding and the float→int conversion stay in vector registers.
    let magic = Lanes(repeating: 12_582_912)
    // Clamp with selects: `clamped` is not vectorised by the compiler.
    let lo = Lanes(repeating: -87.3)
    let hi = Lanes(repeating: 88.3)
    var x = v.replacing(with: lo, where: v .< lo)
    x = x.replacing(with: hi, where: x .> hi)
    let t = x * 1.442_695_04 + magic
    let fx = t - magic
    // Separate multiplies and adds, not `addingProduct`: without FMA in the build's target (a plain
    // `swift build` targets baseline x86-64) each fused lane becomes a call to libm's fmaf, which
    // made the whole CRBM update 4–5× slower. Swift does not contract `a * b + c`, so every build
    // computes the same bits.
    x = x - fx * 0.693_359_375
    x = x + fx * 2.121_944_4e-4
    let z = x * x
    var y: Lanes = Lanes(repeating: 1.987_569_15e-4)
    y = y * x + 1.398_199_950_7e-3
    y = y * x + 8.333_451_907_3e-3
    y = y * x + 4.166_579_589_4e-2
    y = y * x + 1.666_666_545_9e-1
    y = y * x + 5.000_000_120_1e-1
    y = y * z + (x + 1)
    let n = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000
    let pow2 = unsafeBitCast((n &+ 127) &<< 23, to: Lanes.self)
    return y * pow2
  }

  @inlinable @inline(__always)
  public static func exp(_ x: Float) -> Float {
    exp(Lanes(repeating: x))[0]
  }

  /// x ← exp(x), in place.
  public static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    transformInPlace(x, count: count) { exp($0) }
  }

  /// x ← 1 / (1 + exp(−gain · x)), in place.
  public static func sigmoidInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, gain: Float = 1) {
    let one = Lanes(repeating: 1)
    if gain == 1 {
      transformInPlace(x, count: count) { one / (one + exp(-$0)) }
    } else {
      let g = Lanes(repeating: -gain)
      transformInPlace(x, count: count) { one / (one + exp(g * $0)) }
    }
  }

  /// x ← gain · tanh(x + shift), in place, as 1 − 2/(exp(2y) + 1): absolute error about 1e-7.
  public static func scaledTanhInPlace(
    _ x: UnsafeMutablePointer<Float>, count: Int, shift: Float, gain: Float
  ) {
    let one = Lanes(repeating: 1)
    transformInPlace(x, count: count) { gain * (one - 2 / (exp(2 * ($0 + shift)) + one)) }
  }

  /// x ← f(x), sixteen lanes at a time; the last, partial group runs zero-padded.
  @inlinable @inline(__always)
  public static func transformInPlace(
    _ x: UnsafeMutablePointer<Float>, count: Int, _ f: (Lanes) -> Lanes
  ) {
    var i = 0
    while i < count {
      store(f(load(x, at: i, count: count)), to: x, at: i, count: count)
      i += 16
    }
  }

  /// Lanes x[i..<i+16], zero past `count`.
  @inlinable @inline(__always)
  public static func load(_ x: UnsafePointer<Float>, at i: Int, count: Int) -> Lanes {
    if i + 16 <= count { return UnsafeRawPointer(x + i).loadUnaligned(as: Lanes.self) }
    var v = Lanes(repeating: 0)
    for j in 0..<(count - i) { v[j] = x[i + j] }
    return v
  }

  /// Writes the lanes of `v` to x[i..<min(i + 16, count)].
  @inlinable @inline(__always)
  public static func store(_ v: Lanes, to x: UnsafeMutablePointer<Float>, at i: Int, count: Int) {
    if i + 16 <= count {
      UnsafeMutableRawPointer(x + i).storeBytes(of: v, as: Lanes.self)
      return
    }
    for j in 0..<(count - i) { x[i + j] = v[j] }
  }
}

extension VectorMath {
  /// Σ x, with sixteen running sums.
  public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var acc = Lanes(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(x)
    while i + 16 <= count {
      acc += raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
      i += 16
    }
    var total = acc.sum()
    while i < count {
      total += x[i]
      i += 1
    }
    return total
  }

  /// Σ (a − b)², with sixteen running sums.
  public static func squaredDistance(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int
  ) -> Float {
    var acc = Lanes(repeating: 0)
    var i = 0
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    while i + 16 <= count {
      let d =
        ra.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
        - rb.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
      acc += d * d
      i += 16
    }
    var total = acc.sum()
    while i < count {
      total += (a[i] - b[i]) * (a[i] - b[i])
      i += 1
    }
    return total
  }
}
