/// Something that carries HDF5 attributes: a group or a dataset.
///
/// Lets code that writes metadata (hyper-parameters, shapes, provenance) accept either; both get
/// their attribute methods from this protocol's extension.
public protocol HDF5AttributeHolder {
  var attributes: AttributeAccess { get }
}

extension HDF5Group: HDF5AttributeHolder {}
extension HDF5Dataset: HDF5AttributeHolder {}

extension HDF5AttributeHolder {
  /// Sets a variable-length UTF-8 string attribute (h5py reads it as `str`), replacing any
  /// attribute of that name.
  public func setAttribute(_ name: String, _ value: String) throws(HDF5Error) {
    try attributes.setString(name, value)
  }

  /// Sets a scalar int64 attribute, replacing any of that name.
  public func setAttribute(_ name: String, _ value: Int) throws(HDF5Error) {
    try attributes.setNumbers(name, type: .int64, [value], scalar: true)
  }

  /// Sets a scalar float64 attribute, replacing any of that name.
  public func setAttribute(_ name: String, _ value: Double) throws(HDF5Error) {
    try attributes.setNumbers(name, type: .float64, [value], scalar: true)
  }

  /// Sets a 1-D int64 attribute, replacing any of that name.
  public func setAttribute(_ name: String, _ values: [Int]) throws(HDF5Error) {
    try attributes.setNumbers(name, type: .int64, values, scalar: false)
  }

  /// Sets a 1-D float64 attribute, replacing any of that name.
  public func setAttribute(_ name: String, _ values: [Double]) throws(HDF5Error) {
    try attributes.setNumbers(name, type: .float64, values, scalar: false)
  }

  /// Whether the attribute exists; false on any problem.
  public func hasAttribute(_ name: String) -> Bool {
    attributes.has(name)
  }

  /// The attribute names, sorted.
  public func attributeNames() throws(HDF5Error) -> [String] {
    try attributes.names()
  }

  /// A string attribute, variable- or fixed-length (null-terminated, null- or space-padded, as
  /// h5py writes for `str` and `numpy.bytes_`).
  public func stringAttribute(_ name: String) throws(HDF5Error) -> String {
    try attributes.string(name)
  }

  /// A one-element integer or float attribute, converted to `Int` by HDF5.
  public func intAttribute(_ name: String) throws(HDF5Error) -> Int {
    try attributes.number(name)
  }

  /// A one-element integer or float attribute, converted to `Double` by HDF5.
  public func doubleAttribute(_ name: String) throws(HDF5Error) -> Double {
    try attributes.number(name)
  }

  /// A numeric attribute of any shape, flattened and converted to `Int`.
  public func intArrayAttribute(_ name: String) throws(HDF5Error) -> [Int] {
    try attributes.numbers(name)
  }

  /// A numeric attribute of any shape, flattened and converted to `Double`.
  public func doubleArrayAttribute(_ name: String) throws(HDF5Error) -> [Double] {
    try attributes.numbers(name)
  }
}
