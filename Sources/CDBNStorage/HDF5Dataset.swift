/// A dataset open for partial (hyperslab) reads and writes: the streaming path for large feature
/// files and datasets.
///
/// The shape and type are read once when the dataset is opened, so every `start`/`count` is
/// checked against them before HDF5 is touched. Holds a strong reference to its file.
public struct HDF5Dataset {
  /// The file this dataset belongs to.
  public let file: HDF5File
  let handle: H5Handle
  /// The full path, such as "/features".
  public let name: String
  let info: StorageInfo

  init(file: HDF5File, handle: H5Handle, name: String) throws(HDF5Error) {
    self.file = file
    self.handle = handle
    self.name = name
    info = try handle.storageInfo(what: "dataset \(name)")
  }

  /// The dimensions; empty for a scalar.
  public var shape: [Int] { info.shape }

  /// The number of elements.
  public var elementCount: Int { info.elementCount }

  /// The stored element type, or nil if it is one CDBNStorage does not write (int32, compound, ...);
  /// numeric types can still be read with conversion.
  public var elementType: HDF5ElementType? { info.stored.elementType }

  private var what: String { "dataset \(name)" }

  /// The dataset's attributes (see `HDF5AttributeHolder` for what can be read and written).
  public var attributes: AttributeAccess { AttributeAccess(handle: handle, owner: what) }

  private func error(_ message: String) -> HDF5Error {
    HDF5Error(path: file.path, message: "\(what): \(message)")
  }

  // MARK: Partial reads and writes

  /// Reads the block of `count` elements from `start` (one entry per dimension) as float32.
  public func readFloats(start: [Int], count: [Int]) throws(HDF5Error) -> [Float] {
    try readNumbers(start: start, count: count)
  }

  /// Writes `values` (row-major) to the block of `count` elements from `start`.
  public func writeFloats(start: [Int], count: [Int], _ values: [Float]) throws(HDF5Error) {
    try writeNumbers(start: start, count: count, values)
  }

  /// Reads a block as `Int`.
  public func readInts(start: [Int], count: [Int]) throws(HDF5Error) -> [Int] {
    try readNumbers(start: start, count: count)
  }

  /// Writes a block of `Int` values.
  public func writeInts(start: [Int], count: [Int], _ values: [Int]) throws(HDF5Error) {
    try writeNumbers(start: start, count: count, values)
  }

  /// Reads a block as `Double`.
  public func readDoubles(start: [Int], count: [Int]) throws(HDF5Error) -> [Double] {
    try readNumbers(start: start, count: count)
  }

  /// Writes a block of `Double` values.
  public func writeDoubles(start: [Int], count: [Int], _ values: [Double]) throws(HDF5Error) {
    try writeNumbers(start: start, count: count, values)
  }

  /// Reads a block as `UInt8` (images).
  public func readUInt8s(start: [Int], count: [Int]) throws(HDF5Error) -> [UInt8] {
    try readNumbers(start: start, count: count)
  }

  /// Writes a block of `UInt8` values.
  public func writeUInt8s(start: [Int], count: [Int], _ values: [UInt8]) throws(HDF5Error) {
    try writeNumbers(start: start, count: count, values)
  }

  /// Reads `count` strings from `start` of a 1-D string dataset.
  public func readStrings(start: Int, count: Int) throws(HDF5Error) -> [String] {
    let (selection, total) = try stringSelection(start: start, count: count)
    return try handle.readStrings(selection: selection, count: total, what: what)
  }

  /// Writes `values` from `start` of a 1-D variable-length string dataset.
  public func writeStrings(start: Int, _ values: [String]) throws(HDF5Error) {
    let (selection, _) = try stringSelection(start: start, count: values.count)
    guard case .string(variable: true, _, _) = info.stored else {
      throw error("holds \(info.stored); only variable-length strings can be written")
    }
    try handle.writeStrings(values, selection: selection, what: what)
  }

  // MARK: Whole reads (used by HDF5Group)

  func readAllNumbers<T: H5Number>() throws(HDF5Error) -> [T] {
    try requireNumeric()
    try checkWholeReadIsPlausible()
    return try handle.readNumbers(selection: nil, count: info.elementCount, what: what)
  }

  func readAllStrings() throws(HDF5Error) -> [String] {
    guard info.stored.isString else { throw error("holds \(info.stored), not strings") }
    try checkWholeReadIsPlausible()
    return try handle.readStrings(selection: nil, count: info.elementCount, what: what)
  }

  // MARK: Validation

  private func requireNumeric() throws(HDF5Error) {
    guard info.stored.isNumeric else { throw error("holds \(info.stored), not numbers") }
  }

  /// A damaged header can claim any shape; refuse to allocate for one the file cannot back.
  private func checkWholeReadIsPlausible() throws(HDF5Error) {
    let count = info.elementCount
    guard count <= Hyperslab.maxElements else {
      throw error(
        "shape \(shape) has more than \(Hyperslab.maxElements) elements; read it in pieces")
    }
    // Contiguous, allocated data lies in the file uncompressed, so it cannot exceed the file.
    // (Chunked data may be compressed or sparse, and unallocated data reads as fill values.)
    let layout = try handle.datasetLayout(what: what)
    guard layout.contiguous, layout.allocatedBytes > 0, let fileSize = file.handle.sizeInBytes
    else { return }
    let (declared, overflow) = count.multipliedReportingOverflow(by: info.stored.fixedByteSize ?? 0)
    let needed = overflow ? Int.max : max(declared, layout.allocatedBytes)
    guard needed <= fileSize else {
      throw error(
        "claims \(needed) bytes of data but the file has only \(fileSize) bytes (truncated or corrupt)"
      )
    }
  }

  private func selection(start: [Int], count: [Int]) throws(HDF5Error) -> (Hyperslab, Int) {
    try Hyperslab.validated(start: start, count: count, shape: shape, error: error)
  }

  private func stringSelection(start: Int, count: Int) throws(HDF5Error) -> (Hyperslab, Int) {
    guard shape.count == 1 else { throw error("shape \(shape) is not 1-D") }
    let result = try selection(start: [start], count: [count])
    guard info.stored.isString else { throw error("holds \(info.stored), not strings") }
    return result
  }

  private func readNumbers<T: H5Number>(start: [Int], count: [Int]) throws(HDF5Error) -> [T] {
    let (block, total) = try selection(start: start, count: count)
    try requireNumeric()
    return try handle.readNumbers(selection: block, count: total, what: what)
  }

  private func writeNumbers<T: H5Number>(start: [Int], count: [Int], _ values: [T])
    throws(HDF5Error)
  {
    let (block, total) = try selection(start: start, count: count)
    guard values.count == total else {
      throw error("selection count \(count) needs \(total) values, got \(values.count)")
    }
    try requireNumeric()
    try handle.writeNumbers(values, selection: block, what: what)
  }
}
