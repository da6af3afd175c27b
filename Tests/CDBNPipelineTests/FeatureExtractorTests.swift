import CDBNClassifiers
import CDBNDatasets
import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

@Suite struct FeatureExtractorTests {
  @Test(arguments: [1, 2])
  func featuresEqualTheModelsOwn(depth: Int) throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let (modelPath, model, dataPath, data) = try handMadeModelAndImages(
      in: directory, count: 10)
    let out = directory.file("features.h5")

    var extractor = try FeatureExtractor(modelPath: modelPath, depth: depth)
    extractor.batchSize = 3  // 10 examples: three full batches and one of 1
    let shape = try extractor.run(dataPath: dataPath, outputPath: out)
    // 12×12 → 10×10 → pooled 5×5 → 4×4 → pooled 2×2.
    let expectedShape = depth == 1 ? [4, 5, 5] : [3, 2, 2]
    #expect(shape == expectedShape)

    let direct = try model.features(data, depth: depth)
    #expect(direct.shape == [10] + expectedShape)
    let file = try HDF5File(path: out, mode: .readOnly)
    defer { file.close() }
    let root = file.root
    let features = try root.readFloats("features")
    #expect(features.shape == [10] + expectedShape)
    #expect(maxDifference(features.values, direct.scalars) <= 1e-6)
    #expect(try root.openDataset("features").elementType == .float32)
    #expect(try root.readInts("labels").values == expectedLabels(10))
    #expect(try root.readStrings("ids") == expectedIDs(10))
    #expect(try root.intAttribute("layer") == depth)
    #expect(try root.stringAttribute("model") == modelPath)
    #expect(try root.stringAttribute("data") == dataPath)
    #expect(try root.stringAttribute("kind") == "cdbn-features")
    #expect(try root.intArrayAttribute("shape") == expectedShape)
    // Only the feature file itself is left: no temporary files.
    #expect(directory.contents() == ["data.h5", "features.h5", "model.h5"])
  }

  @Test func flattenedFeaturesAreOneRowPerExample() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let (modelPath, model, dataPath, data) = try handMadeModelAndImages(
      in: directory, count: 7, labels: false, ids: false)
    let out = directory.file("flat.h5")
    var extractor = try FeatureExtractor(modelPath: modelPath, depth: 2)
    extractor.flatten = true
    extractor.batchSize = 4
    #expect(try extractor.run(dataPath: dataPath, outputPath: out) == [12])
    let file = try HDF5File(path: out, mode: .readOnly)
    defer { file.close() }
    let features = try file.root.readFloats("features")
    #expect(features.shape == [7, 12])
    #expect(maxDifference(features.values, try model.features(data, depth: 2).scalars) <= 1e-6)
    #expect(try file.root.intArrayAttribute("shape") == [12])
    // No labels or ids in the input, none in the output.
    #expect(!file.root.contains("labels"))
    #expect(!file.root.contains("ids"))
  }

  @Test func featuresOfATrainedModelApplyItsPreprocessing() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let modelPath = run.directory.file("model.h5")
    let trained = try run.pretrainer(output: modelPath).run()
    let out = run.directory.file("features.h5")
    try FeatureExtractor(modelPath: modelPath, depth: 2).run(
      dataPath: run.dataPath, outputPath: out)
    let file = try HDF5File(path: out, mode: .readOnly)
    defer { file.close() }
    let features = try file.root.readFloats("features")
    let direct = try trained.model.features(run.examples, depth: 2)
    #expect(features.shape == direct.shape)
    #expect(maxDifference(features.values, direct.scalars) <= 1e-6)
    // Preprocessing (unit variance) matters: without it the features differ.
    let raw = try trained.model.propagate(run.examples, through: 2)
    #expect(maxDifference(features.values, raw.scalars) > 1e-3)
  }

  @Test func severalLayersAreJoinedPerExampleAndLayerZeroIsTheInput() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let (modelPath, model, dataPath, data) = try handMadeModelAndImages(
      in: directory, count: 5)
    let out = directory.file("joined.h5")
    var extractor = try FeatureExtractor(modelPath: modelPath, depths: [2, 0])
    extractor.batchSize = 2
    // Layer 2 (3×2×2 = 12) then the 1×12×12 input (144), whatever the order of the model's layers.
    #expect(try extractor.run(dataPath: dataPath, outputPath: out) == [156])
    let file = try HDF5File(path: out, mode: .readOnly)
    defer { file.close() }
    let features = try file.root.readFloats("features")
    #expect(features.shape == [5, 156])
    let second = try model.features(data, depth: 2)
    for e in 0..<5 {
      let row = Array(features.values[(e * 156)..<((e + 1) * 156)])
      #expect(
        maxDifference(Array(row[0..<12]), Array(second.scalars[(e * 12)..<((e + 1) * 12)])) <= 1e-6)
      #expect(Array(row[12...]) == Array(data.scalars[(e * 144)..<((e + 1) * 144)]))
    }
    #expect(try file.root.intArrayAttribute("layers") == [2, 0])
    #expect(!file.root.hasAttribute("layer"))
    // The column map says which columns came from which layer.
    #expect(
      try FeatureFile.blocks(in: out) == [
        .init(name: "2", count: 12), .init(name: "0", count: 144),
      ])
    #expect(try file.root.readInts("feature_blocks/first").values == [0, 12])
  }

  @Test func repeatedLayersAreAnError() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let modelPath = directory.file("model.h5")
    try writeHandMadeModel(to: modelPath)
    let text = thrownDescription { _ = try FeatureExtractor(modelPath: modelPath, depths: [1, 1]) }
    #expect(text.contains("distinct"), "\(text)")
  }

  @Test(arguments: [3, -1])
  func anOutOfRangeLayerIsAnError(depth: Int) throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let modelPath = directory.file("model.h5")
    try writeHandMadeModel(to: modelPath)
    let text = thrownDescription { _ = try FeatureExtractor(modelPath: modelPath, depth: depth) }
    #expect(text.contains(modelPath), "\(text)")
    #expect(text.contains("layer"), "\(text)")
    #expect(text.contains("\(depth)"), "\(text)")
  }

  @Test func dataWithTheWrongChannelCountIsAnErrorAndWritesNothing() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let modelPath = directory.file("model.h5")
    try writeHandMadeModel(to: modelPath)
    let dataPath = directory.file("rgb.h5")
    try writeDataFile(dataPath, syntheticImages(count: 4, channels: 3))
    let out = directory.file("features.h5")
    let extractor = try FeatureExtractor(modelPath: modelPath, depth: 1)
    let text = thrownDescription { try extractor.run(dataPath: dataPath, outputPath: out) }
    #expect(text.contains(dataPath), "\(text)")
    #expect(text.contains("channel"), "\(text)")
    #expect(!fileExists(out))
    #expect(directory.contents() == ["model.h5", "rgb.h5"])
  }

  @Test func dataSmallerThanTheFiltersIsAnErrorAndWritesNothing() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let modelPath = directory.file("model.h5")
    try writeHandMadeModel(to: modelPath)
    let dataPath = directory.file("small.h5")
    // 4×4 → 2×2 → pooled 1×1: too small for layer 2's 2×2 filters, fine for layer 1.
    try writeDataFile(dataPath, syntheticImages(count: 2, height: 4, width: 4))
    let out = directory.file("features.h5")
    let text = thrownDescription {
      try FeatureExtractor(modelPath: modelPath, depth: 2).run(dataPath: dataPath, outputPath: out)
    }
    #expect(text.contains(dataPath), "\(text)")
    #expect(!fileExists(out))
    try FeatureExtractor(modelPath: modelPath, depth: 1).run(dataPath: dataPath, outputPath: out)
    #expect(fileExists(out))
  }
}

@Suite struct PyramidFeatureTests {
  /// Three pictures of three sizes in two class folders.
  static func pictures(in directory: TemporaryDirectory) throws -> (path: String, images: [Tensor])
  {
    let root = directory.file("pictures")
    var images: [Tensor] = []
    for (i, (name, h, w)) in [("a/1.png", 12, 12), ("a/2.png", 14, 17), ("b/1.png", 9, 13)]
      .enumerated()
    {
      let full = root + "/" + name
      try FileManager.default.createDirectory(
        atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      let gray = (0..<(h * w)).map { UInt8((($0 * 37 + i * 11) ^ ($0 / w * 5)) % 256) }
      try PNGWriter.write(gray: gray, width: w, height: h, to: full)
      images.append(Tensor(shape: [1, 1, h, w], scalars: gray.map { Float($0) / 255 }))
    }
    return (root, images)
  }

  /// The slow definition of a pyramid row: one example [1, C, H, W] through layers 1 and 2 of
  /// `model` alone, each layer's maps pooled over `pyramid`, the layers joined.
  static func pyramidRow(_ example: Tensor, model: ConvolutionalDBN, pyramid: SpatialPyramid)
    throws -> [Float]
  {
    var row: [Float] = []
    for maps in try model.features(example, depths: [1, 2]) {
      let (_, k, h, w) = maps.dims4
      row += maps.scalars.withUnsafeBufferPointer {
        pyramid.pooled($0, channels: k, height: h, width: w)
      }
    }
    return row
  }

  @Test func eachPictureIsPooledOverThePyramidAtItsOwnSize() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let modelPath = directory.file("model.h5")
    let model = try writeHandMadeModel(to: modelPath)
    let (data, images) = try Self.pictures(in: directory)
    let out = directory.file("pyramid.h5")
    var extractor = try FeatureExtractor(modelPath: modelPath, depths: [1, 2])
    extractor.pyramid = SpatialPyramid(levels: [1, 2], pooling: .max)
    extractor.batchSize = 2
    // Layer 1 has 4 maps, layer 2 has 3; 1 + 4 cells each.
    #expect(try extractor.run(dataPath: data, outputPath: out) == [4 * 5 + 3 * 5])

    let file = try HDF5File(path: out, mode: .readOnly)
    defer { file.close() }
    let features = try file.root.readFloats("features")
    #expect(features.shape == [3, 35])
    for (i, image) in images.enumerated() {
      let expected = try Self.pyramidRow(image, model: model, pyramid: extractor.pyramid!)
      #expect(maxDifference(Array(features.values[(i * 35)..<((i + 1) * 35)]), expected) <= 1e-6)
    }
    #expect(try file.root.readStrings("label_names") == ["a", "b"])
    #expect(try file.root.readInts("labels").values == [0, 0, 1])
    #expect(try file.root.intArrayAttribute("pyramid_levels") == [1, 2])
    #expect(try file.root.stringAttribute("pyramid_pooling") == "max")
    // classify --blocks: one layer's columns of the joined file.
    let whole = try FeatureFile.read(out)
    let second = try whole.selectingBlocks(["2"])
    #expect(second.features.columns == 15 && second.labels == whole.labels)
    for r in 0..<3 {
      #expect(
        Array(second.features.values[(r * 15)..<((r + 1) * 15)])
          == Array(whole.features.values[(r * 35 + 20)..<((r + 1) * 35)]))
    }
    #expect(try whole.selectingBlocks(["2", "1"]).features == whole.features)
    let missing = thrownDescription { _ = try whole.selectingBlocks(["mfcc"]) }
    #expect(missing.contains(out) && missing.contains("\"mfcc\""), "\(missing)")
  }

  @Test func examplesOfOneSizeArePooledOverThePyramidABatchAtATime() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let (modelPath, model, dataPath, data) = try handMadeModelAndImages(
      in: directory, count: 7)
    let out = directory.file("pyramid.h5")
    var extractor = try FeatureExtractor(modelPath: modelPath, depths: [1, 2])
    // 3×3 cells on layer 2's 2×2 maps share rows and columns; layer 1's 5×5 are not divisible.
    extractor.pyramid = SpatialPyramid(levels: [1, 3], pooling: .max)
    extractor.batchSize = 3  // two full batches and one of 1
    #expect(try extractor.run(dataPath: dataPath, outputPath: out) == [4 * 10 + 3 * 10])
    let features = try FeatureFile.read(out).features
    #expect(features.rows == 7)
    // The slow definition: each example through the model alone, each layer's maps pooled.
    for e in 0..<7 {
      let example = Tensor(
        shape: [1, 1, 12, 12], scalars: Array(data.scalars[(e * 144)..<((e + 1) * 144)]))
      let expected = try Self.pyramidRow(example, model: model, pyramid: extractor.pyramid!)
      #expect(maxDifference(Array(features.values[(e * 70)..<((e + 1) * 70)]), expected) <= 1e-6)
    }
  }

  @Test func aPictureTooSmallForTheLayerIsNamedAndNothingIsWritten() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let modelPath = directory.file("model.h5")
    try writeHandMadeModel(to: modelPath)
    let (data, _) = try Self.pictures(in: directory)
    // 3×3: layer 1's 3×3 filters leave one unit, too few for layer 2's 2×2 filters.
    try PNGWriter.write(
      gray: [UInt8](repeating: 9, count: 9), width: 3, height: 3, to: data + "/b/tiny.png")
    var extractor = try FeatureExtractor(modelPath: modelPath, depths: [2])
    extractor.pyramid = SpatialPyramid(levels: [1])
    let out = directory.file("pyramid.h5")
    let error = #expect(throws: PipelineError.self) {
      try extractor.run(dataPath: data, outputPath: out)
    }
    #expect("\(error!)".contains("\"b/tiny.png\""))
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  @Test func specificityOfEachLayerFromMeanPooledFeatures() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let modelPath = directory.file("model.h5")
    try writeHandMadeModel(to: modelPath)
    let (data, _) = try Self.pictures(in: directory)
    let features = directory.file("units.h5")
    var extractor = try FeatureExtractor(modelPath: modelPath, depths: [1, 2])
    extractor.pyramid = SpatialPyramid(levels: [1], pooling: .mean)
    try extractor.run(dataPath: data, outputPath: features)

    let out = directory.file("specificity.h5")
    let picture = directory.file("specificity.png")
    let rows = try SpecificityReport.run(
      featuresPath: features, outputPath: out, picturePath: picture)
    #expect(rows.map(\.block) == ["1", "2"] && rows.map(\.units) == [4, 3])
    // Each block's measure is the one of its own columns.
    let file = try FeatureFile.read(features)
    let layer2 = try FeatureMatrix(
      rows: 3, columns: 3,
      values: (0..<3).flatMap { r in file.features.values[(r * 7 + 4)..<(r * 7 + 7)] })
    let direct = try ClassSpecificity(activations: layer2, labels: [0, 0, 1], classes: 2)
    #expect(rows[1].measure == direct)
    let written = try HDF5File(path: out, mode: .readOnly)
    defer { written.close() }
    #expect(try written.root.readStrings("class_names") == ["a", "b"])
    let entropy = try written.root.readDoubles("blocks/2/entropy").values
    #expect(
      zip(entropy, direct.entropy).allSatisfy { $0 == ($1 ?? .nan) || ($0.isNaN && $1 == nil) })
    #expect(try bytes(picture).prefix(8) == Data(pngMagic))
    #expect(SpecificityReport.table(rows, classes: 2).contains("median entropy"))
  }
}

/// The hand-made two-layer model and `count` synthetic 12×12 images (labelled, with ids, unless told),
/// written as model.h5 and data.h5 in `directory`.
private func handMadeModelAndImages(
  in directory: TemporaryDirectory, count: Int, labels: Bool = true, ids: Bool = true
) throws -> (modelPath: String, model: ConvolutionalDBN, dataPath: String, data: Tensor) {
  let modelPath = directory.file("model.h5")
  let model = try writeHandMadeModel(to: modelPath)
  let dataPath = directory.file("data.h5")
  let data = syntheticImages(count: count)
  try writeDataFile(dataPath, data, labels: labels, ids: ids)
  return (modelPath, model, dataPath, data)
}
