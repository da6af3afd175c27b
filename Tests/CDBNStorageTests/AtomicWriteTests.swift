import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

@Suite struct AtomicWriteTests {
  private struct Interrupted: Error {}

  private func leftovers(in directory: TemporaryDirectory) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
      $0.contains(".tmp-")
    }
  }

  @Test func atomicWriteCreatesAndThenReplacesAFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("checkpoint.h5")
    try HDF5File.atomicWrite(to: path) { file in try file.root.setAttribute("epoch", 1) }
    try HDF5File.atomicWrite(to: path) { file in try file.root.setAttribute("epoch", 2) }
    #expect(try HDF5File(path: path, mode: .readOnly).root.intAttribute("epoch") == 2)
    #expect(try leftovers(in: directory) == [])
  }

  @Test func aFailingBodyLeavesTheOldFileIntactAndNoTemporaryFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("checkpoint.h5")
    try HDF5File.atomicWrite(to: path) { file in
      try file.root.writeFloats("weights", shape: [3], [1, 2, 3])
    }
    let before = try Data(contentsOf: URL(fileURLWithPath: path))

    #expect(throws: Interrupted.self) {
      try HDF5File.atomicWrite(to: path) { file in
        try file.root.writeFloats("weights", shape: [3], [9, 9, 9])
        throw Interrupted()
      }
    }
    #expect(throws: HDF5Error.self) {
      try HDF5File.atomicWrite(to: path) { file in _ = try file.root.openGroup("missing") }
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    #expect(
      try HDF5File(path: path, mode: .readOnly).root.readFloats("weights").values == [1, 2, 3])
    #expect(try leftovers(in: directory) == [])
  }

  /// A writer killed with -9 leaves `path.tmp-<pid>`; the next write beside it removes it, but not
  /// the temporary file of a writer that is still running.
  @Test func theNextWriteRemovesTheTemporaryFileOfAKilledWriter() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.h5")
    let finished = Process()
    finished.executableURL = URL(fileURLWithPath: "/bin/true")
    try HDF5File.withNoFileOpening { try finished.run() }
    finished.waitUntilExit()
    let dead = "model.h5.tmp-\(finished.processIdentifier)"
    let alive = "model.h5.tmp-\(getppid())"
    for name in [dead, alive, "other.h5.tmp-\(finished.processIdentifier)"] {
      try directory.write(name, [1, 2, 3])
    }
    try HDF5File.atomicWrite(to: path) { file in try file.root.setAttribute("epoch", 1) }
    #expect(
      try leftovers(in: directory).sorted()
        == [alive, "other.h5.tmp-\(finished.processIdentifier)"].sorted())
  }

  /// One claim on an output at a time; released, the claim and its lock file are gone.
  @Test func anOutputLockExcludesASecondWriterUntilReleased() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.h5")
    var first: OutputLock? = try OutputLock(for: path)
    let refused = #expect(throws: HDF5Error.self) { _ = try OutputLock(for: path) }
    #expect(refused?.path == path && refused?.message.contains("another cdbn process") == true)
    #expect(first?.path == path)
    first = nil
    #expect(directory.contents() == [])
    let second = try OutputLock(for: path)
    #expect(directory.contents() == ["model.h5.lock"])
    withExtendedLifetime(second) {}
  }
}
