import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// `cdbn pretrain` and `cdbn features` under Open MPI's `mpirun` (`make deps` installs it): the same
/// files, `==` on every float, for any number of processes. Serialized: each test starts up to three
/// processes on the machine's cores.
@Suite(.serialized) struct DistributedTests {
  static let mpirun = "/usr/bin/mpirun"

  /// The ranks' environment. Under `make test-asan`, LeakSanitizer would fail every rank at exit on
  /// Open MPI's own allocations (libmpi and its plugins, whose frames are unnamed once unloaded);
  /// leak checks of cdbn's code are the single-process tests', and memory-error checks stay on.
  static let environment: [String: String] = {
    var environment = ProcessInfo.processInfo.environment
    let asan = environment["ASAN_OPTIONS"].map { $0 + ":" } ?? ""
    environment["ASAN_OPTIONS"] = asan + "detect_leaks=0"
    return environment
  }()

  /// `mpirun -np ranks cdbn arguments --threads 1` in `directory` (CI runs as root, and has fewer
  /// cores than ranks).
  static func mpi(
    _ ranks: Int, _ arguments: [String], in directory: TemporaryDirectory, threads: Bool = true
  ) throws -> ProcessResult {
    try #require(
      FileManager.default.isExecutableFile(atPath: mpirun),
      "\(mpirun) not found: install openmpi-bin (make deps)")
    return try runProcess(
      mpirun,
      ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", try CLITests.executable()]
        + arguments + (threads ? ["--threads", "1"] : []), workingDirectory: directory.path,
      environment: environment)
  }

  /// Every dataset of an HDF5 file by path, as bytes, but the wall-clock seconds of the history.
  static func datasets(_ path: String) throws -> [String: [UInt8]] {
    let file = try HDF5File(path: path, mode: .readOnly)
    defer { file.close() }
    var out: [String: [UInt8]] = [:]
    func walk(_ group: HDF5Group, _ prefix: String) throws {
      for name in try group.memberNames() {
        let path = prefix + "/" + name
        if group.isGroup(name) {
          try walk(group.openGroup(name), path)
          continue
        }
        guard name != "seconds" else { continue }
        let type = try group.openDataset(name).elementType
        switch type {
        case .float32: out[path] = bytes(try group.readFloats(name).values)
        case .float64: out[path] = bytes(try group.readDoubles(name).values)
        case .int64: out[path] = bytes(try group.readInts(name).values)
        case .uint64: out[path] = bytes(try group.readUInt64s(name).values)
        case .uint8: out[path] = try group.readUInt8s(name).values
        case .string: out[path] = Array(try group.readStrings(name).joined(separator: "\n").utf8)
        case nil: Issue.record("\(path): an element type the test does not know")
        }
      }
    }
    try walk(file.root, "")
    return out
  }

  static func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

  /// Expects the two files to hold the same datasets, byte for byte.
  static func expectSameDatasets(
    _ a: String, _ b: String, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let (x, y) = (try datasets(a), try datasets(b))
    #expect(!x.isEmpty && x.keys.sorted() == y.keys.sorted(), sourceLocation: sourceLocation)
    let differing = x.keys.sorted().filter { x[$0] != y[$0] }
    #expect(
      differing.isEmpty, "\(b) differs from \(a) in \(differing)", sourceLocation: sourceLocation)
  }

  static func worldSize(_ path: String) throws -> Int {
    let file = try HDF5File(path: path, mode: .readOnly)
    defer { file.close() }
    return try file.root.openGroup("training").intAttribute("world_size")
  }

  /// 48 synthetic 28×28 pictures and a config over them: layer 1 is cut into one-example chunks,
  /// layer 2 (CRBM) into chunks of 8, so shares of 2 and 3 processes split both.
  static func run(layers: String, batches: Int = 2, epochs: Int = 2) throws -> TinyRun {
    try TinyRun(examples: syntheticImages(count: 48, height: 28, width: 28)) { path in
      """
      seed: 5
      data: {path: \(path)}
      preprocessing: {unit_variance: true}
      training: {batch_size: 24, batches_per_epoch: \(batches), epochs: \(epochs)}
      layers:
      \(layers)
      """
    }
  }

  static let kinds: [(name: String, layers: String)] = [
    (
      "crbm",
      """
        - {kind: crbm, visible: gaussian, filters: 6, filter: 9, pooling: 2, learning_rate: 0.02}
        - {kind: crbm, visible: binary, filters: 20, filter: 4, pooling: 2, persistent: true}
      """
    ),
    (
      "psd",
      """
        - {kind: psd, filters: 4, filter: 9, pooling: 2, encoder: tanh, fista_iterations: 8}
        - {kind: psd, filters: 3, filter: 3, pooling: 2, encoder: shrink, features: codes, fista_iterations: 4}
      """
    ),
    (
      "deconv",
      """
        - {kind: deconv, filters: 4, filter: 7, pooling: 3, filter_cg_iterations: 2}
        - {kind: deconv, filters: 3, filter: 3, pooling: 2}
      """
    ),
  ]

  @Test(arguments: kinds.map(\.name))
  func pretrainingGivesTheSameWeightsOnOneTwoAndThreeProcesses(kind: String) throws {
    let layers = try #require(Self.kinds.first { $0.name == kind }).layers
    // CRBM: two updates per epoch carry the persistent chains over; the others: one update a layer.
    let run = try Self.run(
      layers: layers, batches: kind == "crbm" ? 2 : 1, epochs: kind == "crbm" ? 2 : 1)
    defer { run.directory.remove() }
    let plain = run.directory.file("plain.h5")
    let single = try CLITests.cdbn(
      ["pretrain", run.configPath, "--out", plain, "--threads", "2"], in: run.directory)
    #expect(single.status == 0, "\(CLITests.describe(single))")
    for ranks in kind == "crbm" ? [1, 2, 3] : [2, 3] {
      let out = run.directory.file("np\(ranks).h5")
      let r = try Self.mpi(ranks, ["pretrain", run.configPath, "--out", out], in: run.directory)
      #expect(r.status == 0, "\(CLITests.describe(r))")
      try Self.expectSameDatasets(plain, out)
      #expect(try Self.worldSize(out) == ranks)
    }
    #expect(try Self.worldSize(plain) == 1)
  }

  @Test func audioPretrainingAndFeaturesAreTheSameOnSeveralProcesses() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let corpus = packageRoot().appendingPathComponent("Data/timit-sample").path
    let config = try directory.write(
      "audio.yaml",
      text: """
        seed: 4
        data: {audio: \(corpus), speakers: [FVMH0, MCPM0, FAEM0], patch: [1, 40]}
        preprocessing: {spectrogram: {window_ms: 20, hop_ms: 10}, pca: {components: 80, epsilon: 0.01}}
        training: {batch_size: 6, batches_per_epoch: 2, epochs: 1}
        layers:
          - {kind: crbm, visible: gaussian, filters: 8, filter: [1, 6], pooling: [1, 3], sigma: 1}
          - {kind: crbm, visible: binary, filters: 6, filter: [1, 4], pooling: [1, 2]}
        """)
    let plain = directory.file("plain.h5")
    let single = try CLITests.cdbn(["pretrain", config, "--out", plain], in: directory)
    #expect(single.status == 0, "\(CLITests.describe(single))")
    let out = directory.file("np2.h5")
    let r = try Self.mpi(2, ["pretrain", config, "--out", out], in: directory)
    #expect(r.status == 0, "\(CLITests.describe(r))")
    try Self.expectSameDatasets(plain, out)

    // Audio features: utterances go round the processes; the file is the single process's.
    for summary in ["frames", "phones"] {
      let layers = summary == "frames" ? "2" : "1,2,mfcc"
      let common = [
        "features", "--model", plain, "--layer", layers, "--summary", summary, "--data", corpus,
        "--speakers", "FVMH0,MCPM0,FAEM0",
      ]
      let single = directory.file("\(summary)-1.h5")
      let one = try CLITests.cdbn(common + ["--out", single], in: directory)
      #expect(one.status == 0, "\(CLITests.describe(one))")
      let sharded = directory.file("\(summary)-3.h5")
      let three = try Self.mpi(3, common + ["--out", sharded], in: directory)
      #expect(three.status == 0, "\(CLITests.describe(three))")
      try Self.expectSameDatasets(single, sharded)
    }
  }

  @Test func aKilledProcessEndsTheJobAndTheRunResumesOnAnotherCount() throws {
    let run = try Self.run(layers: Self.kinds[0].layers, batches: 6)
    defer { run.directory.remove() }
    let plain = run.directory.file("plain.h5")
    let single = try CLITests.cdbn(["pretrain", run.configPath, "--out", plain], in: run.directory)
    #expect(single.status == 0, "\(CLITests.describe(single))")

    let out = run.directory.file("killed.h5")
    let job = Process()
    job.executableURL = URL(fileURLWithPath: Self.mpirun)
    job.arguments = [
      "--allow-run-as-root", "--oversubscribe", "-np", "2", try CLITests.executable(), "pretrain",
      run.configPath, "--out", out, "--threads", "1",
    ]
    job.currentDirectoryURL = URL(fileURLWithPath: run.directory.path)
    job.environment = Self.environment
    job.standardOutput = FileHandle.nullDevice
    job.standardError = FileHandle.nullDevice
    try HDF5File.withNoFileOpening { try job.run() }
    // Once the first checkpoint is written, kill rank 1 (mpirun's second child) outright.
    let deadline = Date().addingTimeInterval(60)
    while !fileExists(out) && job.isRunning && Date() < deadline { usleep(20_000) }
    let children = try runProcess("/usr/bin/pgrep", ["-P", "\(job.processIdentifier)"])
    let ranks = children.stdout.split(separator: "\n").compactMap { Int32($0) }.sorted()
    try #require(ranks.count == 2, "mpirun's children: \(children.stdout)")
    kill(ranks[1], SIGKILL)
    let killed = Date()
    job.waitUntilExit()
    #expect(job.terminationStatus != 0)
    #expect(Date().timeIntervalSince(killed) < 30)

    let saved = try ModelCheckpoint.read(from: out)
    #expect(saved.progress?.complete == false)
    let resumed = try Self.mpi(
      3, ["pretrain", run.configPath, "--out", out, "--resume"], in: run.directory)
    #expect(resumed.status == 0, "\(CLITests.describe(resumed))")
    try Self.expectSameDatasets(plain, out)
  }

  @Test func shardedFeaturesAreTheSingleProcessFile() throws {
    let run = try Self.run(layers: Self.kinds[0].layers)
    defer { run.directory.remove() }
    let model = run.directory.file("model.h5")
    let trained = try CLITests.cdbn(
      ["pretrain", run.configPath, "--out", model], in: run.directory)
    #expect(trained.status == 0, "\(CLITests.describe(trained))")
    // 48 examples in batches of 20: shares of 10, 10, then 4 and 4.
    let common = [
      "features", "--model", model, "--layer", "1,2", "--data", run.dataPath, "--batch-size", "20",
    ]
    let single = run.directory.file("single.h5")
    let one = try CLITests.cdbn(common + ["--out", single], in: run.directory)
    #expect(one.status == 0, "\(CLITests.describe(one))")
    for ranks in [2, 3] {
      let sharded = run.directory.file("sharded\(ranks).h5")
      let r = try Self.mpi(ranks, common + ["--out", sharded], in: run.directory)
      #expect(r.status == 0, "\(CLITests.describe(r))")
      try Self.expectSameDatasets(single, sharded)
      let file = try HDF5File(path: sharded, mode: .readOnly)
      #expect(try file.root.intAttribute("world_size") == ranks)
      file.close()
    }
  }

  @Test func mismatchedRanksAndSmallBatchesAreErrorsBeforeAnyWork() throws {
    let run = try Self.run(layers: Self.kinds[0].layers)
    defer { run.directory.remove() }
    let other = try run.directory.write(
      "other.yaml", text: run.configText.replacingOccurrences(of: "seed: 5", with: "seed: 6"))
    let out = run.directory.file("m.h5")
    let exe = try CLITests.executable()
    // Two programs in one job (MPMD): rank 1 is given another config.
    let mixed = try runProcess(
      Self.mpirun,
      [
        "--allow-run-as-root", "--oversubscribe", "-np", "1", exe, "pretrain", run.configPath,
        "--out", out, ":", "-np", "1", exe, "pretrain", other, "--out", out,
      ], workingDirectory: run.directory.path, environment: Self.environment)
    #expect(mixed.status != 0)
    #expect(mixed.output.contains("different binary, command line or config"), "\(mixed.output)")
    #expect(!fileExists(out))

    let small = try run.directory.write(
      "small.yaml",
      text: run.configText.replacingOccurrences(of: "batch_size: 24", with: "batch_size: 2"))
    let r = try Self.mpi(3, ["pretrain", small, "--out", out], in: run.directory)
    #expect(r.status != 0)
    #expect(r.output.contains("batch_size is 2, smaller than the 3 processes"), "\(r.output)")
    #expect(!fileExists(out))

    let inspect = try Self.mpi(2, ["inspect", run.configPath], in: run.directory, threads: false)
    #expect(inspect.status != 0)
    #expect(
      inspect.output.contains("only pretrain and features run under mpirun"), "\(inspect.output)")
  }

  @Test func sharesAreContiguousAndCoverTheUnits() {
    final class Rank: ProcessGroup, @unchecked Sendable {
      let rank: Int
      let size: Int
      init(_ rank: Int, of size: Int) { (self.rank, self.size) = (rank, size) }
      func allGather(_ buffer: UnsafeMutableRawBufferPointer, counts: [Int]) throws {}
      func gather(_ buffer: UnsafeMutableRawBufferPointer, counts: [Int], root: Int) throws {}
      func allReduceSum(_ values: inout [Int64]) throws {}
      func allReduceMax(_ values: inout [Int16]) throws {}
    }
    #expect(Rank(0, of: 3).shares(of: 7) == [0..<3, 3..<5, 5..<7])
    #expect(Rank(2, of: 3).shares(of: 2) == [0..<1, 1..<2, 2..<2])
    let units = [0..<8, 8..<16, 16..<24]
    #expect(BatchShare(units: units, batchSize: 24, processes: Rank(1, of: 2)).examples == 16..<24)
    #expect(BatchShare(units: units, batchSize: 24, processes: Rank(0, of: 2)).examples == 0..<16)
    #expect(
      BatchShare(units: [0..<24], batchSize: 24, processes: Rank(1, of: 2)).examples == 24..<24)
  }
}
