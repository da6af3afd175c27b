import CDBNStorage

/// What every file `cdbn` writes says about itself: its root attribute `kind` ("cnn",
/// "cdbn-classification", "cdbn-predictions", a feature file's, ...).
enum ToolFile {
  /// The root `kind` of the HDF5 file at `path`; "" when it has none (a CDBN model written before
  /// the attribute, or a hand-made file).
  static func kind(of path: String) throws -> String {
    try PipelineError.naming(path) {
      let root = try HDF5File(path: path, mode: .readOnly).root
      return root.hasAttribute("kind") ? try root.stringAttribute("kind") : ""
    }
  }
}
