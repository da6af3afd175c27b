/// The attributes of one group or dataset: an opaque handle that `HDF5AttributeHolder`'s methods
/// read and write through, so groups and datasets behave identically.
public struct AttributeAccess {
  let handle: H5Handle
  /// The owner's description for messages, such as "group /layers/0".
  let owner: String

  private var path: String { handle.file.path }

  private func what(_ name: String) -> String { "attribute \"\(name)\" on \(owner)" }

  private func error(_ name: String, _ message: String) -> HDF5Error {
    HDF5Error(path: path, message: "\(what(name)): \(message)")
  }

  // MARK: Writing

  func setString(_ name: String, _ value: String) throws(HDF5Error) {
    let attribute = try replace(name, type: .string, shape: [])
    try attribute.writeStrings([value], selection: nil, what: what(name))
  }

  /// Writes a scalar (`scalar`) or 1-D attribute.
  func setNumbers<T: H5Number>(_ name: String, type: HDF5ElementType, _ values: [T], scalar: Bool)
    throws(HDF5Error)
  {
    let attribute = try replace(name, type: type, shape: scalar ? [] : [values.count])
    try attribute.writeNumbers(values, selection: nil, what: what(name))
  }

  /// Deletes any attribute of that name, then creates the new one.
  private func replace(_ name: String, type: HDF5ElementType, shape: [Int]) throws(HDF5Error)
    -> H5Handle
  {
    guard !name.isEmpty else { throw error(name, "empty attribute name") }
    if handle.attributeExists(name) {
      try handle.deleteAttribute(name, what: what(name))
    }
    return try handle.createAttribute(name, type: type, shape: shape, what: what(name))
  }

  // MARK: Reading

  func has(_ name: String) -> Bool {
    !name.isEmpty && handle.attributeExists(name)
  }

  func names() throws(HDF5Error) -> [String] {
    try handle.attributeNames(what: "attributes of \(owner)").sorted()
  }

  private func open(_ name: String) throws(HDF5Error) -> (H5Handle, StorageInfo) {
    guard has(name) else { throw error(name, "not found") }
    let attribute = try handle.openAttribute(name, what: what(name))
    return (attribute, try attribute.storageInfo(what: what(name)))
  }

  func string(_ name: String) throws(HDF5Error) -> String {
    let (attribute, info) = try open(name)
    guard info.stored.isString else { throw error(name, "holds \(info.stored), not a string") }
    guard info.elementCount == 1 else {
      throw error(name, "holds \(info.elementCount) strings (shape \(info.shape)), expected one")
    }
    return try attribute.readStrings(selection: nil, count: 1, what: what(name))[0]
  }

  /// One number, converted by HDF5 from whatever integer or float type is stored.
  func number<T: H5Number>(_ name: String) throws(HDF5Error) -> T {
    let (attribute, info) = try open(name)
    guard info.stored.isNumeric else { throw error(name, "holds \(info.stored), not a number") }
    guard info.elementCount == 1 else {
      throw error(name, "holds \(info.elementCount) values (shape \(info.shape)), expected one")
    }
    let values: [T] = try attribute.readNumbers(selection: nil, count: 1, what: what(name))
    return values[0]
  }

  /// All the numbers, flattened; a scalar gives one.
  func numbers<T: H5Number>(_ name: String) throws(HDF5Error) -> [T] {
    let (attribute, info) = try open(name)
    guard info.stored.isNumeric else { throw error(name, "holds \(info.stored), not numbers") }
    guard info.elementCount <= Hyperslab.maxElements else {
      throw error(name, "shape \(info.shape) is implausibly large")
    }
    return try attribute.readNumbers(selection: nil, count: info.elementCount, what: what(name))
  }
}
