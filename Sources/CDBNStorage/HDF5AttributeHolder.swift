/// Something that carries HDF5 attributes: a group or a dataset.
///
/// Lets code that writes metadata (hyper-parameters, shapes, provenance) accept either.
public protocol HDF5AttributeHolder {
  /// Sets a variable-length UTF-8 string attribute, replacing any of that name.
  func setAttribute(_ name: String, _ value: String) throws(HDF5Error)
  /// Sets a scalar int64 attribute, replacing any of that name.
  func setAttribute(_ name: String, _ value: Int) throws(HDF5Error)
  /// Sets a scalar float64 attribute, replacing any of that name.
  func setAttribute(_ name: String, _ value: Double) throws(HDF5Error)
  /// Sets a 1-D int64 attribute, replacing any of that name.
  func setAttribute(_ name: String, _ values: [Int]) throws(HDF5Error)
  /// Sets a 1-D float64 attribute, replacing any of that name.
  func setAttribute(_ name: String, _ values: [Double]) throws(HDF5Error)
  /// Whether the attribute exists; false on any problem.
  func hasAttribute(_ name: String) -> Bool
  /// The attribute names, sorted.
  func attributeNames() throws(HDF5Error) -> [String]
  /// A one-element string attribute, variable- or fixed-length.
  func stringAttribute(_ name: String) throws(HDF5Error) -> String
  /// A one-element numeric attribute as `Int`.
  func intAttribute(_ name: String) throws(HDF5Error) -> Int
  /// A one-element numeric attribute as `Double`.
  func doubleAttribute(_ name: String) throws(HDF5Error) -> Double
  /// A numeric attribute of any shape, flattened, as `[Int]`.
  func intArrayAttribute(_ name: String) throws(HDF5Error) -> [Int]
  /// A numeric attribute of any shape, flattened, as `[Double]`.
  func doubleArrayAttribute(_ name: String) throws(HDF5Error) -> [Double]
}

extension HDF5Group: HDF5AttributeHolder {}
extension HDF5Dataset: HDF5AttributeHolder {}
