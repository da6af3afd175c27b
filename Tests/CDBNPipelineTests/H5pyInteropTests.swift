import CDBNDatasets
import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// Model files are a public contract read and written by Python users (h5py). These tests need
/// Debian's /usr/bin/python3 with python3-h5py and python3-numpy (CI installs them; `make deps` too),
/// and fail rather than skip without them.
@Suite struct H5pyInteropTests {
  static func requirePython() throws {
    try #require(
      SystemPython.hasH5py,
      "/usr/bin/python3 cannot import h5py and numpy: install python3-h5py and python3-numpy (make deps)"
    )
  }

  @Test func h5pyReadsACheckpointWrittenByCdbn() throws {
    try Self.requirePython()
    let run = try TinyRun()
    defer { run.directory.remove() }
    let out = run.directory.file("model.h5")
    let trained = try run.pretrainer(output: out).run()
    let layer1 = try #require(trained.model.layers[0] as? ConvRBM)
    let script = """
      import sys, h5py, numpy as np
      path, config = sys.argv[1], sys.argv[2]
      with h5py.File(path, "r") as f:
          a = f.attrs
          assert a["format"] == "cdbn", repr(a["format"])
          assert isinstance(a["format"], str), type(a["format"])
          v = a["format_version"]
          assert np.issubdtype(np.asarray(v).dtype, np.integer) and int(v) == 1, repr(v)
          assert isinstance(a["config"], str) and a["config"] == config, repr(a["config"])
          assert isinstance(a["created_by"], str)
          assert sorted(f["layers"].keys()) == ["0", "1"], list(f["layers"].keys())
          for name, visible, channels in (("0", "gaussian", 1), ("1", "binary", 4)):
              g = f["layers"][name]
              assert g.attrs["kind"] == "crbm", repr(g.attrs["kind"])
              assert g.attrs["visible"] == visible, repr(g.attrs["visible"])
              assert list(g.attrs["pooling"]) == [2, 2], repr(g.attrs["pooling"])
              assert np.issubdtype(g.attrs["pooling"].dtype, np.integer)
              sigma = float(g.attrs["sigma"])
              assert sigma > 0
              w = g["weights"]
              assert w.dtype == np.float32 and w.shape == (4, channels, 3, 3), (w.dtype, w.shape)
              assert g["hidden_bias"].dtype == np.float32 and g["hidden_bias"].shape == (4,)
              assert g["visible_bias"].dtype == np.float32 and g["visible_bias"].shape == (channels,)
              assert np.isfinite(w[...]).all()
          assert abs(float(f["layers/0"].attrs["sigma"]) - 0.405) < 1e-6, f["layers/0"].attrs["sigma"]
          assert f["preprocessing"].attrs["kind"] == "unit-variance", repr(f["preprocessing"].attrs["kind"])
          assert "training" in f and "history" in f
          t = f["training"].attrs
          assert int(t["complete"]) == 1 and int(t["layer"]) == 1 and int(t["seed"]) == 7, dict(t)
          h = f["history/0"]
          assert h["reconstruction_error"].shape == (2,), h["reconstruction_error"].shape
          assert h["mean_activation"].shape == (2, 4), h["mean_activation"].shape
          assert f["history/1/reconstruction_error"].shape == (3,)
          print(" ".join(repr(float(x)) for x in f["layers/0/weights"][...].ravel()))
      """
    let result = try SystemPython.run(script, arguments: [out, run.configText])
    try #require(result.status == 0, "python: \(result.output)")
    // h5py sees exactly the float32 weights cdbn holds.
    let seen = result.output.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }.map {
      Float($0)
    }
    #expect(seen == layer1.weights.scalars)
  }

  @Test func aModelWrittenByH5pyLoadsAndWorks() throws {
    try Self.requirePython()
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("from-python.h5")
    // Only what the schema requires, with numpy attribute types and float64 weights on purpose.
    let script = """
      import sys, h5py, numpy as np
      with h5py.File(sys.argv[1], "w") as f:
          g = f.create_group("layers/0")
          g.attrs["kind"] = np.bytes_(b"crbm")
          g.attrs["visible"] = "binary"
          g.attrs["pooling"] = np.array([2, 2], dtype=np.int32)
          g.attrs["sigma"] = np.float32(1.0)
          w = ((np.arange(75) * 7) % 11 - 5).astype(np.float64) / 32
          g["weights"] = w.reshape(3, 1, 5, 5)
          g["hidden_bias"] = np.array([-0.125, 0.0, 0.25], dtype=np.float64)
          g["visible_bias"] = np.array([0.5], dtype=np.float32)
          p = f.create_group("preprocessing")
          p.attrs["kind"] = "none"
      """
    let result = try SystemPython.run(script, arguments: [path])
    try #require(result.status == 0, "python: \(result.output)")

    let checkpoint = try ModelCheckpoint.read(from: path)
    #expect(checkpoint.config == "")
    #expect(checkpoint.progress == nil)
    #expect(checkpoint.history.isEmpty)
    #expect(checkpoint.model.preprocessing == .none)
    try #require(checkpoint.model.layers.count == 1)
    let rbm = try #require(checkpoint.model.layers[0] as? ConvRBM)
    #expect(rbm.visible == .binary)
    #expect(rbm.pooling == [2, 2])
    #expect(rbm.sigma == 1)
    #expect(rbm.weights.shape == [3, 1, 5, 5])
    let expectedWeights: [Float] = (0..<75).map { (i: Int) -> Float in Float((i * 7) % 11 - 5) / 32
    }
    #expect(rbm.weights.scalars == expectedWeights)
    #expect(rbm.hiddenBias == [-0.125, 0, 0.25])
    #expect(rbm.visibleBias == [0.5])

    // Features.
    let dataPath = directory.file("data.h5")
    let data = syntheticImages(count: 5)
    try writeDataFile(dataPath, data)
    let featuresPath = directory.file("features.h5")
    let shape = try FeatureExtractor(modelPath: path, depth: 1).run(
      dataPath: dataPath, outputPath: featuresPath)
    #expect(shape == [3, 4, 4])
    let file = try HDF5File(path: featuresPath, mode: .readOnly)
    let features = try file.root.readFloats("features")
    #expect(features.shape == [5, 3, 4, 4])
    let direct = try rbm.features(data)
    #expect(maxDifference(features.values, direct.scalars) <= 1e-6)
    file.close()

    // Summary.
    let summary = ModelSummary.text(of: checkpoint, path: path)
    #expect(summary.contains(path))
    #expect(summary.contains("layer 1"))
    #expect(summary.contains("crbm"))
    #expect(summary.contains("3 bases of 1×5×5"))
    #expect(summary.contains("preprocessing: none"))
    #expect(!summary.contains("training:"))

    // Pictures.
    let png = directory.file("bases.png")
    try BasisPictures.write(model: checkpoint.model, depth: 1, to: png)
    #expect(Array(try bytes(png).prefix(8)) == pngMagic)
    let decoded = try DecodedImage(path: png)
    // 3 bases → 2 columns × 2 rows of (5·3 + 1)-pixel cells plus the border.
    #expect(decoded.width == 2 * 16 + 1)
    #expect(decoded.height == 2 * 16 + 1)
  }
}

/// The largest absolute difference between two equally long arrays (infinity when lengths differ).
func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
  guard a.count == b.count else { return .infinity }
  return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
