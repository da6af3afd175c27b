extension VectorMath {
  /// Σ a·b, with sixteen running sums (the conjugate-gradient inner products).
  public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float
  {
    var acc = Lanes(repeating: 0)
    var i = 0
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    while i + 16 <= count {
      acc +=
        ra.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
        * rb.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
      i += 16
    }
    var total = acc.sum()
    while i < count {
      total += a[i] * b[i]
      i += 1
    }
    return total
  }
}
