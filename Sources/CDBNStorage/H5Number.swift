/// The Swift scalar types that move in and out of HDF5 as plain memory.
///
/// HDF5 converts between the stored type and the memory type named by `numberKind`, so a float64
/// dataset can be read as `[Float]` and an int32 attribute as `Int`.
protocol H5Number: BitwiseCopyable {
  static var numberKind: NumberKind { get }
}

/// The memory layouts HDF5 is asked to convert to or from.
enum NumberKind {
  case float32, float64, int, uint64, uint8
}

extension Float: H5Number { static var numberKind: NumberKind { .float32 } }
extension Double: H5Number { static var numberKind: NumberKind { .float64 } }
extension Int: H5Number { static var numberKind: NumberKind { .int } }
extension UInt64: H5Number { static var numberKind: NumberKind { .uint64 } }
extension UInt8: H5Number { static var numberKind: NumberKind { .uint8 } }
