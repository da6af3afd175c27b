import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// SIGINT and SIGTERM stop `pretrain` and `features` at the next safe point: the error says what was
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
}
