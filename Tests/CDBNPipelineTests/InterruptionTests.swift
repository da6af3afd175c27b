import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// SIGINT and SIGTERM stop `pretrain`, `features`, `train-cnn` and `classify` at the next safe point: the error says what was
/// saved and how to continue, and no temporary file is left behind.
@Suite struct InterruptionTests {
  /// Starts `cdbn arguments` in `directory`, waits until `ready()` (at most 60 s), sends `signal`,
  /// and returns the exit status and standard error.
  static func interrupt(
    _ arguments: [String], in directory: TemporaryDirectory, signal: Int32,
    when ready: () -> Bool
  ) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try CLITests.executable())
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try HDF5File.withNoFileOpening { try process.run() }
    let deadline = Date().addingTimeInterval(60)
    while !ready() && process.isRunning && Date() < deadline { usleep(20_000) }
    kill(process.processIdentifier, signal)
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
  }

  static func temporaryFiles(in directory: TemporaryDirectory) -> [String] {
    directory.contents().filter { $0.contains(".tmp-") }
  }

  @Test func pretrainStopsAfterACheckpointAndSaysHowToResume() throws {
    let run = try TinyRun { path in
      "seed: 2\ndata: {path: \(path)}\ntraining: {batch_size: 4, batches_per_epoch: 2}\nlayers:\n  - {filters: 3, filter: 3, visible: gaussian, epochs: 1000000}\n"
    }
    defer { run.directory.remove() }
    let model = run.directory.file("stopped.h5")
    let r = try Self.interrupt(
      ["pretrain", run.configPath, "--out", model], in: run.directory, signal: SIGINT
    ) { fileExists(model) }
    #expect(r.status != 0)
    #expect(r.stderr.contains("stopped by SIGINT") && r.stderr.contains("--resume"), "\(r.stderr)")
    #expect(Self.temporaryFiles(in: run.directory) == [])
    let saved = try ModelCheckpoint.read(from: model)
    #expect(saved.progress?.complete == false && (saved.progress?.epoch ?? 0) >= 1)
  }

  @Test func featuresStopsWithoutLeavingAPartialFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let model = directory.file("model.h5")
    try writeHandMadeModel(to: model)
    let out = directory.file("features.h5")
    let data = packageRoot().appendingPathComponent("Data/mnist/train-images-idx3-ubyte.gz").path
    // Once the temporary file exists, the 60,000 examples are being written.
    let r = try Self.interrupt(
      ["features", "--model", model, "--layer", "2", "--data", data, "--out", out],
      in: directory, signal: SIGTERM
    ) { !Self.temporaryFiles(in: directory).isEmpty }
    #expect(r.status != 0)
    #expect(r.stderr.contains("stopped by SIGTERM") && r.stderr.contains(out), "\(r.stderr)")
    #expect(!fileExists(out))
    #expect(Self.temporaryFiles(in: directory) == [])
  }

  @Test func trainCNNStopsMidEpochKeepingTheLastFinishedOne() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let data = directory.file("data.h5")
    // Epochs of 12,000 examples: seconds each, so a stop that waited for the epoch's end would
    // save the second one.
    try writeDataFile(data, syntheticImages(count: 12_000))
    let config = directory.file("cnn.yaml")
    try SupervisedCLITests.cnnConfig.write(toFile: config, atomically: true, encoding: .utf8)
    let out = directory.file("cnn.h5")
    let r = try Self.interrupt(
      ["train-cnn", config, "--data", data, "--out", out, "--epochs", "1000"], in: directory,
      signal: SIGINT
    ) { fileExists(out) }
    #expect(r.status == 1, "\(r.stderr)")
    #expect(
      r.stderr.contains(
        "stopped by SIGINT: it keeps the checkpoint of epoch 1; continue with --resume"),
      "\(r.stderr)")
    #expect(Self.temporaryFiles(in: directory) == [])
    let file = try HDF5File(path: out, mode: .readOnly)
    defer { file.close() }
    #expect(try file.root.openGroup("history").readDoubles("loss").values.count == 1)
  }

  @Test func classifyStopsBetweenCrossValidationFitsWritingNothing() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let features = directory.file("features.h5")
    try SupervisedCLITests.writeBlobs(features, count: 3_000, d: 40, seed: 3)
    let out = directory.file("svm.h5")
    // The RBF SVM's 10-fold search over its default grid takes minutes here; stop at its start.
    let r = try Self.interrupt(
      [
        "classify", "--classifier", "rbf-svm", "--train", features, "--test", features, "--out",
        out,
      ],
      in: directory, signal: SIGTERM
    ) { usleep(1_500_000) == 0 }
    #expect(r.status == 1, "\(r.stderr)")
    #expect(r.stderr.contains("stopped by SIGTERM: nothing was written"), "\(r.stderr)")
    #expect(!fileExists(out))
    #expect(Self.temporaryFiles(in: directory) == [])
  }
}
