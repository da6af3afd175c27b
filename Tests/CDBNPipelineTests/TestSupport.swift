import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNTestSupport
import Dispatch
import Foundation
import Testing

@testable import CDBNStorage

func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

/// Deterministic images [N, C, H, W] in [0, 1]: a few bright bars on a faint ramp.
func syntheticImages(
  count: Int, channels: Int = 1, height: Int = 12, width: Int = 12, seed: UInt64 = 5
)
  -> Tensor
{
  var rng = RandomStream(seed: seed)
  var t = Tensor(zeros: [count, channels, height, width])
  for e in 0..<count {
    for c in 0..<channels {
      for i in 0..<height {
        for j in 0..<width { t[e, c, i, j] = 0.05 * Float((i + j + e + c) % 5) }
      }
      for _ in 0..<2 {
        let vertical = rng.nextInt(below: 2) == 0
        let a = rng.nextInt(below: height)
        let b = rng.nextInt(below: max(1, width - 4))
        for d in 0..<4 {
          if vertical {
            t[e, c, min(height - 1, b + d), min(width - 1, a)] = 1
          } else {
            t[e, c, a, min(width - 1, b + d)] = 1
          }
        }
      }
    }
  }
  return t
}

/// Writes an HDF5 data set: /data [N, C, H, W] float32, and optionally /labels [N] and /ids [N].
func writeDataFile(_ path: String, _ data: Tensor, labels: Bool = true, ids: Bool = true) throws {
  let file = try HDF5File(path: path, mode: .truncate)
  let root = file.root
  try root.writeFloats("data", shape: data.shape, data.scalars)
  let n = data.shape[0]
  if labels { try root.writeInts("labels", shape: [n], (0..<n).map { $0 % 3 }) }
  if ids { try root.writeStrings("ids", (0..<n).map { "example-\($0)" }) }
  try file.closeChecked()
}

/// The labels and ids `writeDataFile` writes for `n` examples.
func expectedLabels(_ n: Int) -> [Int] { (0..<n).map { $0 % 3 } }
func expectedIDs(_ n: Int) -> [String] { (0..<n).map { "example-\($0)" } }

/// The top of the tiny configs: unit-variance preprocessing, batches of 4, two per epoch.
func tinyConfigHeader(dataPath: String, seed: Int = 7) -> String {
  """
  # tiny test run
  seed: \(seed)
  data:
    path: \(dataPath)
  preprocessing:
    unit_variance: true
  training:
    batch_size: 4
    batches_per_epoch: 2
  """
}

/// A tiny two-layer config over `dataPath` (12×12 examples): gaussian layer 1 with σ decay and
/// unit-variance preprocessing, binary PCD layer 2, so that resuming must restore velocities,
/// running activations, σ and the persistent chains.
func tinyConfigText(dataPath: String, seed: Int = 7, epochs1: Int = 2, epochs2: Int = 3) -> String {
  """
  \(tinyConfigHeader(dataPath: dataPath, seed: seed))
  layers:
    - kind: crbm
      visible: gaussian
      filters: 4
      filter: [3, 3]
      pooling: 2
      sigma: 0.5
      sigma_decay: 0.9
      sigma_min: 0.2
      learning_rate: 0.02
      sparsity_target: 0.05
      sparsity_cost: 1
      momentum_switch_epoch: 1
      epochs: \(epochs1)
    - kind: crbm
      visible: binary
      filters: 4
      filter: [3, 3]
      pooling: 2
      learning_rate: 0.05
      sparsity_target: 0.05
      persistent: true
      epochs: \(epochs2)
  """
}

/// A directory holding `data.h5` (16 examples of 1×12×12, with labels and ids) and `tiny.yaml`
/// (`tinyConfigText`, or the text `config` makes for the data's path).
struct TinyRun {
  let directory: TemporaryDirectory
  let dataPath: String
  let configPath: String
  let configText: String
  let examples: Tensor

  init(
    seed: Int = 7, examples: Tensor = syntheticImages(count: 16),
    config: ((_ dataPath: String) -> String)? = nil
  ) throws {
    directory = try TemporaryDirectory()
    dataPath = directory.file("data.h5")
    configPath = directory.file("tiny.yaml")
    self.examples = examples
    try writeDataFile(dataPath, examples)
    configText = config?(dataPath) ?? tinyConfigText(dataPath: dataPath, seed: seed)
    try configText.write(toFile: configPath, atomically: true, encoding: .utf8)
  }

  func config() throws -> PretrainingConfig {
    try PretrainingConfig(yaml: configText, file: configPath)
  }

  func pretrainer(output: String) throws -> Pretrainer {
    Pretrainer(config: try config(), output: output, reporter: ProgressReporter(quiet: true))
  }
}

/// Runs `body`, expecting it to throw; returns the error's description (for "names the file" checks).
func thrownDescription(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation)
  -> String
{
  do {
    try body()
  } catch {
    return "\(error)"
  }
  Issue.record("expected an error, but none was thrown", sourceLocation: sourceLocation)
  return ""
}

/// A small hand-made ConvRBM with deterministic, exactly representable weights.
func handMadeRBM(
  visible: VisibleUnits = .binary, channels: Int, filters: Int, size: (Int, Int),
  pooling: (Int, Int),
  sigma: Float = 1, salt: Int = 0
) throws -> ConvRBM {
  var rbm = try ConvRBM(
    visible: visible, channels: channels, filters: filters, filterHeight: size.0,
    filterWidth: size.1,
    poolHeight: pooling.0, poolWidth: pooling.1, sigma: sigma, seed: 1)
  for i in 0..<rbm.weights.count {
    rbm.weights.scalars[i] = Float((i * 7 + salt * 3) % 11 - 5) / 32
  }
  rbm.hiddenBias = (0..<filters).map { Float($0 % 3 - 1) / 8 }
  rbm.visibleBias = (0..<channels).map { Float($0) / 16 }
  return rbm
}

/// A two-layer model on 1-channel input, written to `path` (no /training, no /history).
@discardableResult
func writeHandMadeModel(to path: String) throws -> ConvolutionalDBN {
  let model = ConvolutionalDBN(
    preprocessing: .none,
    layers: [
      try handMadeRBM(channels: 1, filters: 4, size: (3, 3), pooling: (2, 2)),
      try handMadeRBM(channels: 4, filters: 3, size: (2, 2), pooling: (2, 2), salt: 1),
    ])
  try ModelCheckpoint(config: "", model: model, progress: nil, history: []).write(to: path)
  return model
}

/// The cdbn executable of the same build as this test bundle (its sibling), else <root>/.build/debug/cdbn.
func cdbnExecutable() -> String? {
  var candidates: [String] = []
  if let testBinary = Bundle.main.executableURL {
    candidates.append(testBinary.deletingLastPathComponent().appendingPathComponent("cdbn").path)
  }
  candidates.append(packageRoot().appendingPathComponent(".build/debug/cdbn").path)
  return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// The PNG signature.
let pngMagic: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
