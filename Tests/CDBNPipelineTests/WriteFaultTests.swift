import CDBNPipeline
import CDBNTestSupport
import Foundation
import Testing

/// A write that fails (past a file-size limit, as on a full disk; EIO on a write or at fsync; a
/// read-only folder) is an error that names the output, exits 1 without crashing, leaves no
/// temporary file, and leaves the previous output as it was; the next run then succeeds.
@Suite struct WriteFaultTests {
  /// The command line of `writer` writing `out`, with `model.h5` pretrained beside the run's data.
  static func arguments(_ writer: String, _ run: TinyRun, _ out: String) -> [String] {
    let model = run.directory.file("model.h5")
    let features = run.directory.file("features.h5")
    switch writer {
    case "pretrain": return ["pretrain", run.configPath, "--out", out, "--force"]
    case "features":
      return [
        "features", "--model", model, "--layer", "1", "--data", run.dataPath, "--out", out,
        "--force",
      ]
    case "classify":
      return [
        "classify", "--train", features, "--test", features, "--c", "1", "--out", out, "--force",
      ]
    case "predict":
      return [
        "predict", "--model", run.directory.file("svm.h5"), "--data", features, "--out", out,
        "--force",
      ]
    case "split":
      return ["split", "--features", features, "--per-label", "1", "--train-out", out, "--force"]
    case "specificity":
      return ["specificity", "--features", features, "--out", out, "--force"]
    case "train-cnn":
      return [
        "train-cnn", run.directory.file("cnn.yaml"), "--data", run.dataPath, "--out", out,
        "--force",
      ]
    case "plot": return ["plot", "--model", model, "--out", out, "--force"]
    default: return ["visualize", "--model", model, "--layer", "1", "--out", out, "--force"]
    }
  }

  /// Pictures are small enough that their writers fail at once: no bytes allowed for them.
  static let pictureWriters: Set<String> = ["visualize", "plot"]

  /// A file-size limit (`ulimit -f`, what a full disk looks like to a writer) or a fault the
  /// preloaded shim injects (EIO on write, EIO on fsync, a read-only folder).
  enum Fault: CustomStringConvertible {
    case fileSizeLimit
    case injected(InjectedFault)

    var description: String {
      switch self {
      case .fileSizeLimit: "ulimit -f"
      case .injected(let fault): fault.rawValue
      }
    }
  }

  // ThreadSanitizer's runtime dies of SIGBUS under a file-size limit before cdbn runs, and its
  // interceptors stand where the shim's would.
  @Test(
    .disabled(if: ProcessInfo.processInfo.environment["CDBN_SANITIZER"] == "thread"),
    arguments: [
      "pretrain", "features", "visualize", "plot", "classify", "predict", "split", "specificity",
      "train-cnn",
    ])
  func aFailedWriteIsAnErrorThatKeepsThePreviousFile(_ name: String) throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let setup = try CLITests.cdbn(
      ["pretrain", run.configPath, "--out", run.directory.file("model.h5")], in: run.directory)
    try #require(setup.status == 0, "\(CLITests.describe(setup))")
    // What the other writers read: features with labels, a saved SVM, a CNN config.
    let features = run.directory.file("features.h5")
    for command in [
      [
        "features", "--model", run.directory.file("model.h5"), "--layer", "1", "--flatten",
        "--data", run.dataPath, "--out", features,
      ],
      [
        "classify", "--train", features, "--test", features, "--c", "1", "--out",
        run.directory.file("svm.h5"),
      ],
    ] {
      let r = try CLITests.cdbn(command, in: run.directory)
      try #require(r.status == 0, "\(CLITests.describe(r))")
    }
    try SupervisedCLITests.cnnConfig.write(
      toFile: run.directory.file("cnn.yaml"), atomically: true, encoding: .utf8)
    // The output alone in its folder, which the injected faults are confined to.
    let folder = run.directory.file("out")
    let out = folder + "/output"
    let previous = Array("the previous output\n".utf8)
    try run.directory.write("out/output", previous)
    let arguments = Self.arguments(name, run, out)
    let faults = [Fault.fileSizeLimit] + InjectedFault.allCases.map(Fault.injected)
    for fault in faults {
      let r: ProcessResult
      switch fault {
      case .fileSizeLimit:
        // 2 KiB (`ulimit -f` counts 1,024-byte blocks in dash and bash): the HDF5 writers fail
        // part-way; the tiny model's pictures are smaller, so no bytes at all for them.
        let command =
          "ulimit -f \(Self.pictureWriters.contains(name) ? 0 : 2); exec '\(try CLITests.executable())' "
          + arguments.map { "'\($0)'" }.joined(separator: " ")
        r = try runProcess("/bin/sh", ["-c", command], workingDirectory: run.directory.path)
      case .injected(let injected):
        let allowance = Self.pictureWriters.contains(name) ? 0 : 2048
        r = try runProcess(
          try CLITests.executable(), arguments, workingDirectory: run.directory.path,
          environment: try injected.environment(folder: folder, allowance: allowance))
      }
      #expect(r.status == 1, "\(name), \(fault): \(CLITests.describe(r))")
      #expect(r.stderr.contains("Error: \(out)"), "\(name), \(fault): \(r.stderr)")
      #expect(try readBytes(out) == previous, "\(name), \(fault)")
      #expect(
        (try? FileManager.default.contentsOfDirectory(atPath: folder)) == ["output"],
        "\(name), \(fault): no temporary or lock file is left")
    }
    // Nothing of the failures stands in the way of the next run.
    let r = try CLITests.cdbn(arguments, in: run.directory)
    #expect(r.status == 0, "\(name) after the faults: \(CLITests.describe(r))")
    #expect(try readBytes(out) != previous, "\(name) after the faults")
  }
}
