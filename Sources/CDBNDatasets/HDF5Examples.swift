import CDBNNumerics
import CDBNStorage
import Foundation

/// Examples stored in an HDF5 file, read batch by batch with hyperslab reads.
///
/// Layout: `/data` [N, C, H, W] (float32, or another numeric type HDF5 converts), optional
/// `/labels` [N] integers, `/label_names` [K] strings (the name of each label value) and `/ids` [N]
/// strings. Only labels and ids are read when opening;
/// examples are read per batch, so the file can be far larger than memory. Every batch is
/// checked for NaN and infinity, since one bad value poisons a whole training run.
///
/// Not `Sendable`: it keeps the file open, and HDF5 files are used from one thread at a time.
public struct HDF5Examples: ExampleSource {
  /// The largest example accepted, in elements (C * H * W), so a damaged shape cannot make one
  /// batch allocate gigabytes.
  public static let maxExampleElements = 1 << 28

  /// The file as given.
  public let path: String
  public let count: Int
  public let exampleShape: [Int]
  public let labels: [Int]?
  public let labelNames: [String]?
  public let ids: [String]?
  private let file: HDF5File
  private let data: HDF5Dataset

  /// Opens `path` and checks the layout: `/data` of rank 4, `/labels` and `/ids` (when present)
  /// with one entry per example, labels non-negative.
  public init(path: String) throws {
    self.path = path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      !isDirectory.boolValue
    else {
      throw DatasetError(.unreadable, path: path, "no such file")
    }
    do {
      file = try HDF5File(path: path, mode: .readOnly)
      let root = file.root
      guard root.contains("data") else {
        throw DatasetError(.badShape, path: path, "has no /data dataset")
      }
      data = try root.openDataset("data")
      if data.elementType == .string {
        throw DatasetError(.badValue, path: path, "/data holds strings, not numbers")
      }
      let shape = data.shape
      guard shape.count == 4 else {
        throw DatasetError(
          .badShape, path: path, "/data must have shape [N, C, H, W], got \(shape)")
      }
      let per = shape[1...].reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
      guard shape[1...].allSatisfy({ $0 > 0 }), per <= Self.maxExampleElements else {
        throw DatasetError(
          .tooLarge, path: path,
          "/data example shape \(Array(shape[1...])) is empty or exceeds \(Self.maxExampleElements) elements"
        )
      }
      count = shape[0]
      exampleShape = Array(shape[1...])

      if root.contains("labels") {
        let (labelShape, values) = try root.readInts("labels")
        guard labelShape == [count] else {
          throw DatasetError(
            .badShape, path: path,
            "/labels has shape \(labelShape) but /data holds \(count) examples")
        }
        if let bad = values.firstIndex(where: { $0 < 0 }) {
          throw DatasetError(.badValue, path: path, "/labels[\(bad)] = \(values[bad]) is negative")
        }
        labels = values
      } else {
        labels = nil
      }
      if root.contains(LabelNames.member) {
        guard labels != nil else {
          throw DatasetError(.badShape, path: path, "has /\(LabelNames.member) but no /labels")
        }
        let names = try root.readStrings(LabelNames.member)
        try LabelNames.validate(names, labels: labels, path: path)
        labelNames = names
      } else {
        labelNames = nil
      }
      if root.contains("ids") {
        let values = try root.readStrings("ids")
        guard values.count == count else {
          throw DatasetError(
            .badShape, path: path,
            "/ids holds \(values.count) strings but /data holds \(count) examples")
        }
        ids = values
      } else {
        ids = nil
      }
    } catch let error as HDF5Error {
      throw DatasetError(.decodeFailed, path: path, error.message)
    }
  }

  public func batch(_ range: Range<Int>) throws -> Tensor {
    try checkRange(range, path: path)
    if range.isEmpty { return Tensor(zeros: [0] + exampleShape) }
    let values: [Float]
    do {
      values = try data.readFloats(
        start: [range.lowerBound, 0, 0, 0], count: [range.count] + exampleShape)
    } catch {
      throw DatasetError(.decodeFailed, path: path, "reading examples \(range): \(error.message)")
    }
    let batch = Tensor(shape: [range.count] + exampleShape, scalars: values)
    if let bad = batch.firstNonFinite() {
      let per = exampleShape.reduce(1, *)
      throw DatasetError(
        .badValue, path: path,
        "example \(range.lowerBound + bad / per) holds a NaN or infinite value")
    }
    return batch
  }
}
