/// An open HDF5 file.
///
/// Not `Sendable`: use a file from one thread at a time. Groups and datasets taken from it keep
/// it open; it closes when the last of them and the file itself are gone, or at `close()`, after
/// which every group and dataset from it throws "file is closed".
public final class HDF5File {
  /// How to open a file.
  public enum Mode: Sendable {
    /// Open an existing file for reading.
    case readOnly
    /// Open an existing file for reading and writing.
    case readWrite
    /// Create the file, replacing any existing file at the path.
    case truncate
  }

  /// The path the file was opened with.
  public let path: String
  /// The mode the file was opened with.
  public let mode: Mode
  let handle: H5FileHandle
  private let rootHandle: H5Handle

  /// Opens or creates the file at `path`.
  ///
  /// A missing file, a file that is not HDF5, and a truncated or damaged one each throw an
  /// `HDF5Error` naming the path.
  public init(path: String, mode: Mode) throws(HDF5Error) {
    self.path = path
    self.mode = mode
    handle = try H5FileHandle.open(path: path, mode: mode)
    rootHandle = try handle.openRoot()
  }

  deinit { close() }

  /// The root group "/".
  public var root: HDF5Group { HDF5Group(file: self, handle: rootHandle, name: "/") }

  /// Whether the file is still open.
  public var isOpen: Bool { handle.isOpen }

  /// Writes everything buffered to disk, keeping the file open.
  public func flush() throws(HDF5Error) {
    try handle.flush()
  }

  /// Closes the file and every group and dataset opened from it. Calling it again does nothing;
  /// a failure to write out buffered data is ignored here, so use `closeChecked()` to see it.
  public func close() {
    try? handle.close()
  }

  /// Closes the file like `close()`, but throws if buffered data could not be written.
  public func closeChecked() throws(HDF5Error) {
    try handle.close()
  }

  /// Writes a file so that readers see either the old file or the complete new one, never a
  /// partial one: this is how checkpoints are saved.
  ///
  /// `body` fills a new file at `path + ".tmp-<pid>"`, which is then closed, synced and renamed
  /// over `path`. If anything throws, the temporary file is removed, the error rethrown, and any
  /// existing file at `path` is left untouched. Temporary files of writers that were killed before
  /// they could clean up (their process is gone) are removed first.
  public static func atomicWrite(to path: String, _ body: (HDF5File) throws -> Void) throws {
    HDF5Library.removeStaleTemporaryFiles(of: path)
    let temporaryPath = AtomicFile.temporaryPath(for: path)
    do {
      let file = try HDF5File(path: temporaryPath, mode: .truncate)
      defer { file.close() }
      try body(file)
      try file.closeChecked()
      try HDF5Library.syncFile(temporaryPath)
      try HDF5Library.replaceFile(path, with: temporaryPath)
    } catch let error as HDF5Error where error.path == temporaryPath {
      HDF5Library.removeFile(temporaryPath)
      // The file the user asked for, not the temporary name it was being written under.
      throw HDF5Error(path: path, message: error.message)
    } catch {
      HDF5Library.removeFile(temporaryPath)
      throw error
    }
  }
}

extension HDF5File {
  /// Runs `body` while no HDF5 file is being opened or closed anywhere in this process. Start child
  /// processes inside it: HDF5 (Debian's 1.10) flock()s every file it opens, and a child inherits
  /// the parent's descriptors between its fork and its exec, so a file another thread closes and
  /// reopens in that window fails with "unable to lock file, errno = 11".
  public static func withNoFileOpening<T>(_ body: () throws -> T) throws -> T {
    try HDF5Library.call { () throws -> T in try body() }
  }
}
