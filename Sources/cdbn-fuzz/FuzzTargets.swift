import CDBNAudio
import CDBNDatasets
import CDBNPipeline
import Foundation

/// One libFuzzer input per reader: the bytes are written to a file of the reader's kind and read
/// the way `cdbn` reads it. A typed error is the expected outcome of a bad input; a crash, a hang
/// or a sanitizer report is a finding. `make fuzz SECONDS=N` builds this with AddressSanitizer and
/// libFuzzer's coverage and runs every target for N seconds from seeds cut from `Data/`.
enum FuzzTargets {
  /// Target name → (file name the bytes are written to, how it is read).
  static let all: [String: (file: String, read: @Sendable (String) throws -> Void)] = [
    "idx": ("x-images-idx3-ubyte", readExamples),
    "idx-gz": ("x-images-idx3-ubyte.gz", readExamples),
    "mnist-csv": ("mnist.csv", { _ = try MNISTCSV.load(path: $0, limit: 8) }),
    "png": ("x.png", { _ = try DecodedImage(path: $0) }),
    "jpeg": ("x.jpg", { _ = try DecodedImage(path: $0) }),
    "hdf5-data": ("data.h5", readExamples),
    "hdf5-model": ("model.h5", { _ = try ModelCheckpoint.read(from: $0) }),
    "wav": ("x.wav", { _ = try AudioFile.read(path: $0) }),
    "sphere": ("x.sph", { _ = try AudioFile.read(path: $0) }),
    "phn": ("x.phn", { _ = try TimedLabel.read(path: $0) }),
    "audio-csv": ("corpus.csv", { _ = try AudioCorpus(csvPath: $0) }),
    "yaml": (
      "config.yaml",
      { path in
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        _ = try PretrainingConfig(yaml: text, file: path)
      }
    ),
  ]

  /// Opens a data file and reads its first examples.
  static func readExamples(_ path: String) throws {
    let source = try openExamples(path: path)
    _ = try source.batch(0..<min(source.count, 4))
  }

  /// The target named by CDBN_FUZZ_TARGET.
  static let selected: (file: String, read: @Sendable (String) throws -> Void)? = {
    ProcessInfo.processInfo.environment["CDBN_FUZZ_TARGET"].flatMap { all[$0] }
  }()

  /// This process's scratch folder for the inputs.
  static let folder: String = {
    let path = NSTemporaryDirectory() + "cdbn-fuzz-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }()

  static func run(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let target = selected else {
      FileHandle.standardError.write(
        Data("set CDBN_FUZZ_TARGET to one of \(all.keys.sorted().joined(separator: ", "))\n".utf8))
      exit(2)
    }
    let path = folder + "/" + target.file
    guard FileManager.default.createFile(atPath: path, contents: Data(buffer: bytes)) else {
      return
    }
    _ = try? target.read(path)
  }
}

#if FUZZING
  /// libFuzzer's own entry, given the input callback (SwiftPM links an executable's main itself).
  @_silgen_name("LLVMFuzzerRunDriver")
  func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  @main
  struct Fuzz {
    static func main() {
      var argc = CommandLine.argc
      var argv = CommandLine.unsafeArgv
      let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        FuzzTargets.run(UnsafeBufferPointer(start: data, count: size))
        return 0
      }
      exit(status)
    }
  }
#else
  @main
  struct FuzzHelp {
    static func main() {
      print("cdbn-fuzz is a libFuzzer harness: build and run it with `make fuzz SECONDS=N`.")
      print("targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", "))")
    }
  }
#endif
