/// What an attribute or dataset holds, read once from its datatype and dataspace.
///
/// Kept in plain Swift so that validation (shape, type, size limits) happens before any further
/// HDF5 call.
struct StorageInfo {
  /// The dimensions; empty for a scalar (one element) or a null dataspace (no elements).
  var shape: [Int]
  /// The number of elements; `Int.max` if the stored dimensions overflow.
  var elementCount: Int
  /// The stored datatype.
  var stored: StoredClass
}

/// The stored datatype class, with the details the readers need.
enum StoredClass: Equatable, CustomStringConvertible {
  case integer(signed: Bool, size: Int)
  case float(size: Int)
  /// `size` is the fixed length in bytes; ignored when `variable`.
  case string(variable: Bool, size: Int, spacePadded: Bool)
  /// Another class (compound, enum, reference, ...), named for messages.
  case other(String)

  var isNumeric: Bool {
    switch self {
    case .integer, .float: true
    case .string, .other: false
    }
  }

  var isString: Bool {
    if case .string = self { return true }
    return false
  }

  /// The matching public element type, or nil for a type CDBNStorage does not write.
  var elementType: HDF5ElementType? {
    switch self {
    case .float(4): .float32
    case .float(8): .float64
    case .integer(signed: true, size: 8): .int64
    case .integer(signed: false, size: 8): .uint64
    case .integer(signed: false, size: 1): .uint8
    case .string: .string
    default: nil
    }
  }

  /// Bytes per element in the file, when fixed.
  var fixedByteSize: Int? {
    switch self {
    case .integer(_, let size), .float(let size): size
    case .string(false, let size, _): size
    default: nil
    }
  }

  var description: String {
    switch self {
    case .integer(let signed, let size): "\(signed ? "int" : "uint")\(size * 8)"
    case .float(let size): "float\(size * 8)"
    case .string(let variable, let size, _):
      variable ? "variable-length string" : "fixed-length string (\(size) bytes)"
    case .other(let name): name
    }
  }
}
