/// Whole files written so that readers see the old file or the complete new one, never a part:
/// pictures and other small outputs. HDF5 files have `HDF5File.atomicWrite`, which names and
/// cleans up its temporary file the same way.
public enum AtomicFile {
  /// The name this process fills before renaming it over `path`. Such names whose process is gone
  /// are removed by the next write to `path`.
  static func temporaryPath(for path: String) -> String { "\(path).tmp-\(HDF5Library.processID)" }

  /// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`. On any
  /// failure the temporary file is removed, `path` is left as it was, and the error names `path`.
  public static func write(_ bytes: [UInt8], to path: String) throws(HDF5Error) {
    HDF5Library.removeStaleTemporaryFiles(of: path)
    let temporary = temporaryPath(for: path)
    do {
      try HDF5Library.writeFile(bytes, to: temporary)
      try HDF5Library.replaceFile(path, with: temporary)
    } catch {
      HDF5Library.removeFile(temporary)
      throw HDF5Error(path: path, message: error.message)
    }
  }
}
