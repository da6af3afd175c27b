import CDBNStorage
import CDBNTestSupport
import Testing

@testable import CDBNClassifiers

/// A saved classifier is a public contract: numpy with h5py must be able to apply it.
@Suite(
  .enabled(
    if: SystemPython.hasH5py, "/usr/bin/python3 cannot import h5py and numpy; interop test skipped"
  ))
struct InteropTests {
  @Test func numpyAppliesASavedLinearModelLikeSwift() throws {
    let (x, y) = blobs(
      centers: [[0, 0, 3], [2, 0, 3], [0, 2, 3]], perClass: 20, spread: 1, seed: 51,
      labels: [1, 5, 9])
    var model = StandardizedClassifier(SoftmaxRegression(c: 1))
    try model.fit(x, labels: y)
    let tmp = try TemporaryHDF5()
    defer { tmp.remove() }
    do {
      let file = try HDF5File(path: tmp.path, mode: .truncate)
      try model.save(to: try file.root.createGroup("classifier"))
      try file.closeChecked()
    }
    let script = """
      import sys, h5py, numpy as np
      g = h5py.File(sys.argv[1], "r")["classifier"]
      assert g.attrs["kind"] == "softmax", g.attrs["kind"]
      x = np.array([float(v) for v in sys.argv[2].split(",")], dtype=np.float32).reshape(-1, 3)
      z = (x - g["standardizer/mean"][...]) / g["standardizer/std"][...]
      scores = z @ g["weights"][...].T + g["bias"][...]
      print(",".join(str(int(c)) for c in g["classes"][...][scores.argmax(axis=1)]))
      """
    let result = try SystemPython.run(
      script, arguments: [tmp.path, x.values.map { "\($0)" }.joined(separator: ",")])
    #expect(result.status == 0, "\(result.output)")
    let numpy = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
      .split(separator: ",").compactMap { Int($0) }
    #expect(numpy == (try model.predict(x)))
  }
}
