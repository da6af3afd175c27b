import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

@Suite struct ErrorTests {
  @Test func missingObjectsAreErrorsNamingTheFileAndTheObject() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.h5")
    do {
      let file = try HDF5File(path: path, mode: .truncate)
      try file.root.createGroup("layers/0").writeFloats("bias", shape: [1], [0])
    }
    let file = try HDF5File(path: path, mode: .readOnly)
    let layer = try file.root.openGroup("layers/0")

    let dataset = #expect(throws: HDF5Error.self) { try layer.readFloats("weights") }
    #expect(dataset?.description == "\(path): dataset /layers/0/weights: not found")
    #expect(dataset?.path == path)
    let stream = #expect(throws: HDF5Error.self) { try file.root.openDataset("features") }
    #expect(stream?.description == "\(path): dataset /features: not found")
    let group = #expect(throws: HDF5Error.self) { try file.root.openGroup("layers/1") }
    #expect(group?.description == "\(path): group /layers/1: not found")
    let attribute = #expect(throws: HDF5Error.self) { try layer.intAttribute("epochs") }
    #expect(attribute?.description == "\(path): attribute \"epochs\" on group /layers/0: not found")
    let datasetAttribute = #expect(throws: HDF5Error.self) {
      try layer.openDataset("bias").stringAttribute("units")
    }
    #expect(datasetAttribute?.description.contains("\"units\" on dataset /layers/0/bias") == true)
    let wrongKind = #expect(throws: HDF5Error.self) { try file.root.openGroup("layers/0/bias") }
    #expect(wrongKind?.description.contains("/layers/0/bias: not a group") == true)
    #expect(throws: HDF5Error.self) { try file.root.readFloats("layers") }
    #expect(throws: HDF5Error.self) { try file.root.readStrings("layers/0/bias") }
  }

  @Test func aMissingFileIsAnErrorNamingIt() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("absent.h5")
    let error = #expect(throws: HDF5Error.self) { try HDF5File(path: path, mode: .readOnly) }
    #expect(error?.description == "\(path): no such file")
    #expect(throws: HDF5Error.self) {
      try HDF5File(path: directory.file("no/such/dir.h5"), mode: .truncate)
    }
  }

  @Test func aFileThatIsNotHDF5IsAnError() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("notes.h5")
    try Data("these are not the bytes you are looking for\n".utf8).write(
      to: URL(fileURLWithPath: path))
    let error = #expect(throws: HDF5Error.self) { try HDF5File(path: path, mode: .readOnly) }
    #expect(error?.description.hasPrefix("\(path): not an HDF5 file") == true)
    #expect(throws: HDF5Error.self) { try HDF5File(path: path, mode: .readWrite) }
  }

  @Test func aTruncatedHDF5FileIsAnError() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("cut.h5")
    do {
      let file = try HDF5File(path: path, mode: .truncate)
      try file.root.writeFloats("weights", shape: [64, 64], (0..<4096).map(Float.init))
      try file.root.setAttribute("name", "before the cut")
    }
    let size = try #require(fileSize(path))
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.truncate(atOffset: UInt64(size / 2))
    try handle.close()

    let error = #expect(throws: HDF5Error.self) {
      let file = try HDF5File(path: path, mode: .readOnly)
      _ = try file.root.readFloats("weights")
    }
    #expect(error?.path == path)
  }

  @Test func usingAGroupAfterItsFileClosedIsAnError() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("closed.h5")
    let file = try HDF5File(path: path, mode: .truncate)
    let group = try file.root.createGroup("g")
    let dataset = try group.createDataset("d", type: .float64, shape: [2])
    file.close()
    file.close()
    #expect(!file.isOpen)
    let error = #expect(throws: HDF5Error.self) { try group.setAttribute("late", 1) }
    #expect(error?.description.contains("file is closed") == true)
    #expect(throws: HDF5Error.self) { try dataset.writeDoubles(start: [0], count: [2], [1, 2]) }
    #expect(throws: HDF5Error.self) { try file.flush() }
    #expect(!group.contains("d"))
    #expect(!group.hasAttribute("late"))
  }

  @Test func aReadOnlyFileRefusesWrites() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("ro.h5")
    do { _ = try HDF5File(path: path, mode: .truncate) }
    let file = try HDF5File(path: path, mode: .readOnly)
    let error = #expect(throws: HDF5Error.self) { try file.root.writeInts("x", shape: [1], [1]) }
    #expect(error?.description.contains("dataset /x") == true)
    #expect(throws: HDF5Error.self) { try file.root.setAttribute("a", 1) }
  }
}
