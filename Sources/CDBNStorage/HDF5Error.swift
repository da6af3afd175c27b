/// A failure reading or writing an HDF5 file.
///
/// Every failure in CDBNStorage is one of these rather than a trap, so a corrupt or foreign file
/// can never bring the process down. The message names the object involved, for example
/// `model.h5: dataset /layers/0/weights: not found`.
public struct HDF5Error: Error, CustomStringConvertible, Equatable {
  /// The path of the file being read or written.
  public let path: String
  /// What went wrong, starting with the object involved (a group, dataset or attribute).
  public let message: String

  /// An error about the file at `path`.
  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  /// `path: message`.
  public var description: String { "\(path): \(message)" }
}
