import CDBNNumerics
import CDBNStorage
import Foundation
import Testing

@testable import CDBNClassifiers

/// Gaussian blobs: `perClass` examples around each centre with standard deviation `spread`,
/// interleaved by class (labels from `labels`, default 0, 1, ...).
func blobs(
  centers: [[Float]], perClass: Int, spread: Float, seed: UInt64, labels: [Int]? = nil
) -> (x: FeatureMatrix, y: [Int]) {
  var rng = RandomStream(seed: seed)
  let d = centers[0].count
  var values: [Float] = []
  var y: [Int] = []
  for _ in 0..<perClass {
    for (c, center) in centers.enumerated() {
      for j in 0..<d { values.append(center[j] + spread * rng.nextNormal()) }
      y.append(labels?[c] ?? c)
    }
  }
  return (try! FeatureMatrix(rows: y.count, columns: d, values: values), y)
}

func accuracy(_ predicted: [Int], _ truth: [Int]) -> Double {
  Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
}

/// A fresh HDF5 file in a temporary directory, removed by `remove()`.
struct TemporaryHDF5 {
  let directory: String
  let path: String

  init() throws {
    directory = NSTemporaryDirectory() + "cdbn-classifiers-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    path = directory + "/model.h5"
  }

  func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// Saves `model` into a new file's group "classifier", reopens the file and loads it back.
func roundTrip<C: Classifier>(_ model: C) throws -> C {
  let tmp = try TemporaryHDF5()
  defer { tmp.remove() }
  do {
    let file = try HDF5File(path: tmp.path, mode: .truncate)
    try model.save(to: try file.root.createGroup("classifier"))
    try file.closeChecked()
  }
  let file = try HDF5File(path: tmp.path, mode: .readOnly)
  defer { file.close() }
  return try C.load(from: try file.root.openGroup("classifier"))
}

/// Runs `body` with a fresh writable group, for hand-made (possibly broken) saved models.
func withScratchGroup<T>(_ body: (HDF5Group) throws -> T) throws -> T {
  let tmp = try TemporaryHDF5()
  defer { tmp.remove() }
  let file = try HDF5File(path: tmp.path, mode: .truncate)
  defer { file.close() }
  return try body(try file.root.createGroup("classifier"))
}

/// The `ClassifierError` case name an error carries, for `#expect` on the kind of failure.
func errorCase(_ body: () throws -> Void) -> String? {
  do {
    try body()
    return nil
  } catch let error as ClassifierError {
    return String(describing: error).components(separatedBy: ":").first
  } catch {
    return "other: \(error)"
  }
}
