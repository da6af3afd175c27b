/// The element types CDBNStorage writes, and recognises when reading.
///
/// Files are always written little-endian; strings are variable-length UTF-8, which h5py reads
/// back as `str`.
public enum HDF5ElementType: Sendable, Equatable, CustomStringConvertible {
  /// IEEE 32-bit float: weights, activations, features.
  case float32
  /// IEEE 64-bit float.
  case float64
  /// Signed 64-bit integer: labels, counts, shapes.
  case int64
  /// Unsigned 64-bit integer: random-number generator states.
  case uint64
  /// Unsigned byte: image pixels.
  case uint8
  /// Variable-length UTF-8 string.
  case string

  /// The numpy-style name, as used in error messages.
  public var description: String {
    switch self {
    case .float32: "float32"
    case .float64: "float64"
    case .int64: "int64"
    case .uint64: "uint64"
    case .uint8: "uint8"
    case .string: "string"
    }
  }

  /// Bytes per element in memory, used to size default chunks; a string counts as one pointer pair.
  var approximateByteSize: Int {
    switch self {
    case .float32: 4
    case .float64, .int64, .uint64: 8
    case .uint8: 1
    case .string: 16
    }
  }
}
