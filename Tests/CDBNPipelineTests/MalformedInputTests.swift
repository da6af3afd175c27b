import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// Bad files going through the pipeline: each is a thrown error naming the file, and nothing is written.
@Suite struct MalformedInputTests {
  @Test func aMissingDataPathInPretraining() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let missing = directory.file("no-such-data.h5")
    let config = try PretrainingConfig(yaml: tinyConfigText(dataPath: missing), file: "tiny.yaml")
    let out = directory.file("model.h5")
    let text = thrownDescription {
      try Pretrainer(config: config, output: out, reporter: ProgressReporter(quiet: true)).run()
    }
    #expect(text.contains(missing), "\(text)")
    #expect(directory.contents().isEmpty)
  }

  @Test func aMissingDataPathInFeatureExtraction() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let modelPath = directory.file("model.h5")
    try writeHandMadeModel(to: modelPath)
    let missing = directory.file("no-such-data.h5")
    let out = directory.file("features.h5")
    let text = thrownDescription {
      try FeatureExtractor(modelPath: modelPath, depth: 1).run(dataPath: missing, outputPath: out)
    }
    #expect(text.contains(missing), "\(text)")
    #expect(directory.contents() == ["model.h5"])
  }

  @Test func aMissingModelFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let missing = directory.file("missing.h5")
    let text = thrownDescription { _ = try ModelCheckpoint.read(from: missing) }
    #expect(text.contains(missing), "\(text)")
    #expect(directory.contents().isEmpty)
  }

  @Test func anHDF5FileWithoutLayers() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("empty-model.h5")
    let file = try HDF5File(path: path, mode: .truncate)
    try file.root.setAttribute("format", "cdbn")
    try file.root.writeFloats("something_else", shape: [2], [1, 2])
    try file.closeChecked()
    let text = thrownDescription { _ = try ModelCheckpoint.read(from: path) }
    #expect(text.contains(path), "\(text)")
    #expect(text.contains("layers"), "\(text)")

    let dataPath = directory.file("data.h5")
    try writeDataFile(dataPath, syntheticImages(count: 2))
    let text2 = thrownDescription { _ = try FeatureExtractor(modelPath: path, depth: 1) }
    #expect(text2.contains(path), "\(text2)")
    #expect(directory.contents() == ["data.h5", "empty-model.h5"])
  }

  @Test func anEmptyLayersGroup() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("no-layers.h5")
    let file = try HDF5File(path: path, mode: .truncate)
    _ = try file.root.createGroup("layers")
    try file.closeChecked()
    let text = thrownDescription { _ = try ModelCheckpoint.read(from: path) }
    #expect(text.contains(path), "\(text)")
    #expect(text.contains("layers"), "\(text)")
  }

  @Test func aTruncatedCheckpoint() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.h5")
    try writeHandMadeModel(to: path)
    let size = try bytes(path).count
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.truncate(atOffset: UInt64(size / 2))
    try handle.close()
    #expect(try bytes(path).count == size / 2)
    let text = thrownDescription { _ = try ModelCheckpoint.read(from: path) }
    #expect(text.contains(path), "\(text)")

    let dataPath = directory.file("data.h5")
    try writeDataFile(dataPath, syntheticImages(count: 2))
    let out = directory.file("features.h5")
    let text2 = thrownDescription {
      try FeatureExtractor(modelPath: path, depth: 1).run(dataPath: dataPath, outputPath: out)
    }
    #expect(text2.contains(path), "\(text2)")
    #expect(!fileExists(out))
  }

  @Test func aLayerWithoutWeights() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("no-weights.h5")
    let file = try HDF5File(path: path, mode: .truncate)
    let root = file.root
    try root.setAttribute("format", "cdbn")
    try root.setAttribute("format_version", 1)
    try root.createGroup("preprocessing").setAttribute("kind", "none")
    let layer = try root.createGroup("layers/0")
    try layer.setAttribute("kind", "crbm")
    try layer.setAttribute("visible", "binary")
    try layer.setAttribute("pooling", [2, 2])
    try layer.setAttribute("sigma", 1.0)
    try layer.writeFloats("hidden_bias", shape: [2], [0, 0])
    try layer.writeFloats("visible_bias", shape: [1], [0])
    try file.closeChecked()
    let text = thrownDescription { _ = try ModelCheckpoint.read(from: path) }
    #expect(text.contains(path), "\(text)")
    #expect(text.contains("weights"), "\(text)")
    #expect(text.contains("/layers/0"), "\(text)")
  }

  @Test func aLayerWithWrongBiasLengthOrAnUnknownKind() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    for (name, kind, biases) in [("bias.h5", "crbm", 3), ("kind.h5", "sparse-coding", 2)] {
      let path = directory.file(name)
      let file = try HDF5File(path: path, mode: .truncate)
      let layer = try file.root.createGroup("layers/0")
      try layer.setAttribute("kind", kind)
      try layer.setAttribute("visible", "binary")
      try layer.setAttribute("pooling", [2, 2])
      try layer.writeFloats("weights", shape: [2, 1, 3, 3], [Float](repeating: 0.1, count: 18))
      try layer.writeFloats("hidden_bias", shape: [biases], [Float](repeating: 0, count: biases))
      try layer.writeFloats("visible_bias", shape: [1], [0])
      try file.closeChecked()
      let text = thrownDescription { _ = try ModelCheckpoint.read(from: path) }
      #expect(text.contains(path), "\(text)")
      #expect(text.contains(kind == "crbm" ? "hidden_bias" : "sparse-coding"), "\(text)")
    }
  }

  @Test func aNaNInTheTrainingData() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let dataPath = directory.file("nan.h5")
    var data = syntheticImages(count: 8)
    data[5, 0, 6, 7] = .nan
    try writeDataFile(dataPath, data)
    // batch_size 4 × batches_per_epoch 2 covers all 8 examples in the first epoch.
    let config = try PretrainingConfig(yaml: tinyConfigText(dataPath: dataPath), file: "tiny.yaml")
    let out = directory.file("model.h5")
    let text = thrownDescription {
      try Pretrainer(config: config, output: out, reporter: ProgressReporter(quiet: true)).run()
    }
    #expect(text.contains(dataPath), "\(text)")
    #expect(text.contains("NaN"), "\(text)")
    #expect(text.contains("example 5"), "\(text)")
    #expect(directory.contents() == ["nan.h5"])
  }

  @Test func aNaNInTheDataForFeatures() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let modelPath = directory.file("model.h5")
    try writeHandMadeModel(to: modelPath)
    let dataPath = directory.file("nan.h5")
    var data = syntheticImages(count: 6)
    data[4, 0, 0, 0] = .infinity
    try writeDataFile(dataPath, data)
    let out = directory.file("features.h5")
    var extractor = try FeatureExtractor(modelPath: modelPath, depth: 1)
    extractor.batchSize = 2
    let text = thrownDescription { try extractor.run(dataPath: dataPath, outputPath: out) }
    #expect(text.contains(dataPath), "\(text)")
    #expect(text.contains("example 4"), "\(text)")
    // Two batches were already written to the temporary file: it must be gone.
    #expect(directory.contents() == ["model.h5", "nan.h5"])
  }

  @Test func aTextFilePassedAsTheModel() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("model.txt")
    try "layers:\n  - this is not HDF5\n".write(toFile: path, atomically: true, encoding: .utf8)
    let text = thrownDescription { _ = try ModelCheckpoint.read(from: path) }
    #expect(text.contains(path), "\(text)")
    let text2 = thrownDescription { _ = try FeatureExtractor(modelPath: path, depth: 1) }
    #expect(text2.contains(path), "\(text2)")
    #expect(directory.contents() == ["model.txt"])
  }

  @Test func aCheckpointOfAnotherFormatOrANewerVersion() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let good = directory.file("good.h5")
    try writeHandMadeModel(to: good)
    for (name, attribute, value) in [
      ("other.h5", "format", "keras"), ("newer.h5", "format_version", "99"),
    ] {
      let path = directory.file(name)
      try FileManager.default.copyItem(atPath: good, toPath: path)
      let file = try HDF5File(path: path, mode: .readWrite)
      if let v = Int(value) {
        try file.root.setAttribute(attribute, v)
      } else {
        try file.root.setAttribute(attribute, value)
      }
      try file.closeChecked()
      let text = thrownDescription { _ = try ModelCheckpoint.read(from: path) }
      #expect(text.contains(path), "\(text)")
      #expect(text.contains(attribute), "\(text)")
    }
  }
}
