internal import CDBNKernels

/// Sums of per-unit partial sums that do not depend on which process added which units, or in
/// what order: the reduction behind results that are the same on any number of processes.
///
/// Float addition is not associative, so a sum formed as Σ over ranks of Σ over each rank's units
/// changes with the number of ranks. Here each element's values are first put on one fixed-point
/// grid, fixed by the largest magnitude of that element over all units (agreed across processes
/// with a max-reduction of exponents): value · 2^s rounded to an integer of at most 51 bits, with
/// enough headroom that the sum of every unit cannot overflow 63 bits. Integer addition is associative, so local sums
/// and `MPI_SUM` across processes give the same integer however the units are split; it is turned
/// back into a float once. Each element keeps min(51, 62 − log₂(units)) bits relative to its
/// largest value, more than a float32 accumulation does; a value below that grid rounds to it (the same way
/// on every run).
///
/// Communication per reduction: 2 bytes (exponent) + 8 bytes (sum) per element, whatever the
/// batch size or the number of units.
public enum ExactSum {
  /// Σ over `units` of the `stride` values at `values + unit · stride`, reading only the units in
  /// `owned` (this process's; the other processes hold the rest).
  public static func sum(
    _ values: UnsafePointer<Float>, stride: Int, units: Int, owned: Range<Int>,
    processes: any ProcessGroup
  ) throws -> [Float] {
    try integerSums(values, stride: stride, units: units, owned: owned, processes: processes).map {
      Float($0)
    }
  }

  /// `sum` for Double values.
  public static func sum(
    _ values: UnsafePointer<Double>, stride: Int, units: Int, owned: Range<Int>,
    processes: any ProcessGroup
  ) throws -> [Double] {
    try integerSums(values, stride: stride, units: units, owned: owned, processes: processes)
  }

  /// Elements per parallel task.
  private static let block = 4096

  private static func integerSums<T: GridValue>(
    _ values: UnsafePointer<T>, stride: Int, units: Int, owned: Range<Int>,
    processes: any ProcessGroup
  ) throws -> [Double] {
    let blocks = (stride + block - 1) / block
    // 1. The largest exponent of each element over every unit.
    var largest = [Int16](repeating: Int16.min, count: stride)
    largest.withUnsafeMutableBufferPointer { buffer in
      nonisolated(unsafe) let largest = buffer.baseAddress!
      nonisolated(unsafe) let values = values
      Parallelism.forEach(blocks) { b, _ in
        let elements = (b * block)..<min(stride, (b + 1) * block)
        T.exponentMax(values, stride: stride, units: owned, elements: elements, into: largest)
      }
    }
    try processes.allReduceMax(&largest)

    // 2. Each value on its element's grid, summed exactly. |value · 2^s| < 2^precision: at most
    //    2^51, for the rounding below, and small enough that `units` of them fit in 62 bits.
    let headroom = Int64(units).bitWidth - Int64(units).leadingZeroBitCount
    let precision = min(51, 62 - headroom)
    let shifts = largest.map {
      shift(largest: $0, precision: precision, nonFinite: T.nonFiniteField)
    }
    let scales = shifts.map { $0?.scale ?? 0 }
    var sums = [Int64](repeating: 0, count: stride)
    sums.withUnsafeMutableBufferPointer { buffer in
      scales.withUnsafeBufferPointer { scaleBuffer in
        nonisolated(unsafe) let (sums, scales) = (buffer.baseAddress!, scaleBuffer.baseAddress!)
        nonisolated(unsafe) let values = values
        Parallelism.forEach(blocks) { b, _ in
          let elements = (b * block)..<min(stride, (b + 1) * block)
          T.gridSum(
            values, stride: stride, units: owned, elements: elements, scales: scales, into: sums)
        }
      }
    }
    try processes.allReduceSum(&sums)

    // 3. Back to floating point, once.
    return (0..<stride).map { i in
      if largest[i] >= T.nonFiniteField { return .nan }
      guard let shift = shifts[i] else { return 0 }
      return Double(sums[i]) * shift.inverse
    }
  }

  /// 2^s and 2^−s for an element whose largest exponent is `e`: |value · 2^s| < 2^precision.
  /// Nil when there are no units or a value is not finite. Exponents below −900 (values under
  /// 1e-271) are taken as −900, so the scales stay finite: such values round to zero.
  private static func shift(largest e: Int16, precision: Int, nonFinite: Int16) -> (
    scale: Double, inverse: Double
  )? {
    guard e > Int16.min, e < nonFinite else { return nil }
    let s = precision - 1 - max(Int(e), -900)
    return (
      Double(sign: .plus, exponent: s, significand: 1),
      Double(sign: .plus, exponent: -s, significand: 1)
    )
  }
}

/// The two passes of `ExactSum` over the rows [units] of `stride` values, for the given elements:
/// the largest unbiased exponent field of each (|value| < 2^(field + 1); zeros and subnormals give
/// the field's minimum, infinities and NaNs `nonFiniteField`), then each value times its element's
/// scale rounded to an integer, added to its sum.
private protocol GridValue {
  static var nonFiniteField: Int16 { get }
  static func exponentMax(
    _ values: UnsafePointer<Self>, stride: Int, units: Range<Int>, elements: Range<Int>,
    into largest: UnsafeMutablePointer<Int16>)
  static func gridSum(
    _ values: UnsafePointer<Self>, stride: Int, units: Range<Int>, elements: Range<Int>,
    scales: UnsafePointer<Double>, into sums: UnsafeMutablePointer<Int64>)
}

/// Float partials, the bulk of every reduction: the C kernels, compiled per instruction set.
extension Float: GridValue {
  static var nonFiniteField: Int16 { 128 }

  static func exponentMax(
    _ values: UnsafePointer<Float>, stride: Int, units: Range<Int>, elements: Range<Int>,
    into largest: UnsafeMutablePointer<Int16>
  ) {
    cdbn_exponent_max(
      values, stride, units.lowerBound, units.upperBound, elements.lowerBound,
      elements.upperBound, largest)
  }

  static func gridSum(
    _ values: UnsafePointer<Float>, stride: Int, units: Range<Int>, elements: Range<Int>,
    scales: UnsafePointer<Double>, into sums: UnsafeMutablePointer<Int64>
  ) {
    cdbn_grid_sum(
      values, stride, units.lowerBound, units.upperBound, elements.lowerBound,
      elements.upperBound, scales, sums)
  }
}

/// Double partials (a few statistics per unit): the same passes in Swift.
extension Double: GridValue {
  static var nonFiniteField: Int16 { 1024 }

  static func exponentMax(
    _ values: UnsafePointer<Double>, stride: Int, units: Range<Int>, elements: Range<Int>,
    into largest: UnsafeMutablePointer<Int16>
  ) {
    for unit in units {
      for i in elements {
        let field = Int16(truncatingIfNeeded: (values[unit * stride + i].bitPattern >> 52) & 0x7FF)
        largest[i] = max(largest[i], field &- 1023)
      }
    }
  }

  static func gridSum(
    _ values: UnsafePointer<Double>, stride: Int, units: Range<Int>, elements: Range<Int>,
    scales: UnsafePointer<Double>, into sums: UnsafeMutablePointer<Int64>
  ) {
    // Adding 1.5 · 2^52 leaves the integer nearest v (ties to even) in the low bits, for
    // |v| < 2^51, as the C kernel does.
    let magic = 6_755_399_441_055_744.0
    for unit in units {
      for i in elements {
        let v = values[unit * stride + i] * scales[i] + magic
        sums[i] &+= Int64(bitPattern: v.bitPattern) &- Int64(bitPattern: magic.bitPattern)
      }
    }
  }
}
