import CDBNStorage
import CDBNTestSupport
import Testing

/// Files must move both ways between this module and Python's h5py (Debian's /usr/bin/python3).
@Suite(
  .enabled(
    if: SystemPython.hasH5py, "/usr/bin/python3 cannot import h5py and numpy; interop tests skipped"
  ))
struct InteropTests {
  @Test func readsAFileWrittenByH5py() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("from-python.h5")
    let script = """
      import sys, h5py, numpy as np
      with h5py.File(sys.argv[1], "w") as f:
          f.attrs["model"] = "cdbn ü"                     # variable-length str
          f.attrs["fixed"] = np.bytes_(b"mnist")           # fixed-length, null-padded
          f.attrs["shape"] = np.array([1, 28, 28], dtype=np.int64)
          f.attrs["count"] = np.int32(12)
          f.attrs["rate"] = 0.01
          g = f.create_group("layers/0")
          g["weights"] = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 4
          g["labels"] = np.array([1, -2, 3], dtype=np.int64)
          g.attrs["kind"] = np.bytes_(b"crbm")
          g.attrs["sizes"] = np.array([[1, 2], [3, 4]], dtype=np.int64)
          f["names"] = np.array(["alpha", "béta"], dtype=h5py.string_dtype())
          f["codes"] = np.array([b"ab", b"c"], dtype="S3")
      """
    let result = try SystemPython.run(script, arguments: [path])
    try #require(result.status == 0, "python failed: \(result.output)")

    let file = try HDF5File(path: path, mode: .readOnly)
    let root = file.root
    #expect(try root.stringAttribute("model") == "cdbn ü")
    #expect(try root.stringAttribute("fixed") == "mnist")
    #expect(try root.intArrayAttribute("shape") == [1, 28, 28])
    #expect(try root.intAttribute("count") == 12)
    #expect(try root.doubleAttribute("rate") == 0.01)
    let layer = try root.openGroup("layers/0")
    #expect(try layer.stringAttribute("kind") == "crbm")
    #expect(try layer.intArrayAttribute("sizes") == [1, 2, 3, 4])
    let weights = try layer.readDoubles("weights")
    #expect(weights.shape == [2, 3, 4])
    #expect(weights.values == (0..<24).map { Double($0) / 4 })
    #expect(try layer.readFloats("weights").values == (0..<24).map { Float($0) / 4 })
    #expect(
      try layer.openDataset("weights").readFloats(start: [1, 2, 0], count: [1, 1, 4]) == [
        5, 5.25, 5.5, 5.75,
      ])
    #expect(try layer.readInts("labels").values == [1, -2, 3])
    #expect(try root.readStrings("names") == ["alpha", "béta"])
    #expect(try root.readStrings("codes") == ["ab", "c"])
    #expect(try root.openDataset("codes").readStrings(start: 1, count: 1) == ["c"])
  }

  @Test func writesAFileH5pyReads() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("to-python.h5")
    try HDF5File.atomicWrite(to: path) { file in
      let root = file.root
      try root.setAttribute("model", "cdbn ü")
      try root.setAttribute("epochs", 30)
      try root.setAttribute("rate", 0.5)
      try root.setAttribute("shape", [1, 28, 28])
      try root.setAttribute("means", [0.25, -1.5])
      let layer = try root.createGroup("layers/0")
      try layer.writeFloats("weights", shape: [2, 3], [0, 1, 2, 3, 4, 5])
      try layer.writeInts("labels", shape: [3], [1, -2, 3])
      try layer.writeUInt64s("rng", shape: [2], [UInt64.max, 7])
      try layer.writeDoubles("scalar", shape: [], [2.5])
      try root.writeStrings("names", ["alpha", "béta", ""])
      let stream = try root.createDataset("features", type: .float32, shape: [3, 2])
      try stream.writeFloats(start: [1, 0], count: [2, 2], [1, 2, 3, 4])
      try stream.setAttribute("note", "streamed")
    }
    let script = """
      import sys, h5py, numpy as np
      with h5py.File(sys.argv[1], "r") as f:
          assert f.attrs["model"] == "cdbn ü", repr(f.attrs["model"])
          assert isinstance(f.attrs["model"], str)
          assert f.attrs["epochs"] == 30 and f.attrs["epochs"].dtype == np.int64
          assert f.attrs["rate"] == 0.5
          assert list(f.attrs["shape"]) == [1, 28, 28]
          assert list(f.attrs["means"]) == [0.25, -1.5]
          w = f["layers/0/weights"]
          assert w.dtype == np.float32 and w.shape == (2, 3), (w.dtype, w.shape)
          assert (w[...] == np.arange(6, dtype=np.float32).reshape(2, 3)).all()
          assert list(f["layers/0/labels"][...]) == [1, -2, 3]
          assert f["layers/0/rng"].dtype == np.uint64
          assert list(f["layers/0/rng"][...]) == [2**64 - 1, 7]
          assert f["layers/0/scalar"][()] == 2.5
          assert list(f["names"].asstr()[...]) == ["alpha", "béta", ""]
          assert (f["features"][...] == np.array([[0, 0], [1, 2], [3, 4]], dtype=np.float32)).all()
          assert f["features"].attrs["note"] == "streamed"
      print("ok")
      """
    let result = try SystemPython.run(script, arguments: [path])
    #expect(result.status == 0, "python: \(result.output)")
  }
}
