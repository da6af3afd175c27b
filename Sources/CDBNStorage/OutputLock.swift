/// An exclusive claim on an output file for as long as this object lives, so that two runs (in any
/// processes) cannot write one checkpoint at once: the second is refused instead of both reporting
/// success while the file holds only one's model. The claim is an flock(2) on `path.lock`, removed
/// on release; the operating system drops it when a process dies, so a killed run never blocks the
/// next.
public final class OutputLock {
  public let path: String
  private let lockPath: String
  private let descriptor: Int32

  public init(for path: String) throws(HDF5Error) {
    self.path = path
    lockPath = path + ".lock"
    guard let descriptor = try HDF5Library.lockFile(lockPath) else {
      throw HDF5Error(
        path: path, message: "another cdbn process is writing it (it holds \(lockPath))")
    }
    self.descriptor = descriptor
  }

  deinit { HDF5Library.unlockFile(lockPath, descriptor: descriptor) }
}
