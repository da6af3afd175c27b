import CDBNDatasets
import CDBNStorage

extension HDF5Group {
  /// Loads a value saved into this group: checks its `kind` attribute, then runs `body`. An HDF5
  /// error, or a `DatasetError` that does not name a file yet (a constructor's, such as
  /// "PCA whitening: …"), comes out as a `DatasetError` naming this file and group.
  func loadSaved<T>(kind expected: String, _ body: () throws -> T) throws -> T {
    let place = "\(file.path):\(name)"
    do {
      let kind = try stringAttribute("kind")
      guard kind == expected else {
        throw DatasetError(.badValue, path: place, "kind is \"\(kind)\", not \"\(expected)\"")
      }
      return try body()
    } catch let error as HDF5Error {
      throw DatasetError(.badValue, path: place, error.message)
    } catch let error as DatasetError where !error.path.hasPrefix(file.path) {
      throw DatasetError(error.kind, path: place, error.message)
    }
  }
}
