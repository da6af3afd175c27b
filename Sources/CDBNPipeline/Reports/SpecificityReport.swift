import CDBNClassifiers
import CDBNDatasets
import CDBNStorage
import Foundation
import RealModule

/// `cdbn specificity`: the class specificity (`ClassSpecificity`) of every unit of each block
/// (layer) of a labelled feature file, as a table of medians, an HDF5 file and a PNG with one
/// entropy histogram per layer.
///
/// Only the classes that have rows take part (a test file may lack some); their entropies range
/// over [0, log₂ K] bits.
public enum SpecificityReport {
  /// One block's summary.
  public struct Row: Sendable, Equatable {
    public let block: String
    public let units: Int
    /// Units whose activation is 0 on every row (no entropy).
    public let neverOn: Int
    public let medianEntropy: Double?
    public let medianBestArea: Double?
    public let measure: ClassSpecificity
  }

  /// Measures `featuresPath`, writes `outputPath` and `picturePath` when given (each to a
  /// temporary file renamed into place), and returns one row per block.
  @discardableResult
  public static func run(featuresPath: String, outputPath: String?, picturePath: String?) throws
    -> [Row]
  {
    let file = try FeatureFile.read(featuresPath)
    let labels = try file.requireLabels()
    // Number the classes that have rows 0..<K, in label order.
    let present = Array(Set(labels)).sorted()
    guard present.count >= 2 else {
      throw PipelineError(
        featuresPath, "has rows of \(present.count) class(es); specificity needs 2 or more")
    }
    let index = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0) })
    let names = present.map { file.labelNames?[$0] ?? "\($0)" }
    let blocks =
      try FeatureFile.blocks(in: featuresPath)
      ?? [FeatureFile.Block(name: "all", count: file.features.columns)]
    guard blocks.reduce(0, { $0 + $1.count }) == file.features.columns else {
      throw PipelineError(
        featuresPath,
        "/feature_blocks covers \(blocks.reduce(0) { $0 + $1.count }) columns of \(file.features.columns)"
      )
    }
    let classIndices = labels.map { index[$0]! }
    var rows: [Row] = []
    var first = 0
    for block in blocks {
      let columns = Array(first..<(first + block.count))
      first += block.count
      let measure = try PipelineError.naming(featuresPath) {
        try ClassSpecificity(
          activations: file.features.selecting(columns: columns),
          labels: classIndices, classes: present.count)
      }
      rows.append(
        Row(
          block: block.name, units: block.count,
          neverOn: measure.entropy.filter { $0 == nil }.count,
          medianEntropy: measure.medianEntropy, medianBestArea: measure.medianBestArea,
          measure: measure))
    }
    if let outputPath {
      try write(rows, classNames: names, featuresPath: featuresPath, to: outputPath)
    }
    if let picturePath { try draw(rows, classes: present.count, to: picturePath) }
    return rows
  }

  /// The table `cdbn specificity` prints.
  public static func table(_ rows: [Row], classes: Int) -> String {
    var lines = [
      "class specificity over \(classes) classes (entropy in bits, 0 = one class, \(String(format: "%.2f", Double.log2(Double(classes)))) = none):",
      "block   units  never on  median entropy  median best ROC area",
    ]
    func f(_ v: Double?, _ digits: Int) -> String {
      v.map { String(format: "%.\(digits)f", $0) } ?? "-"
    }
    for row in rows {
      lines.append(
        row.block.padding(toLength: 7, withPad: " ", startingAt: 0)
          + String(format: " %5d  %8d", row.units, row.neverOn)
          + f(row.medianEntropy, 3).leftPadded(16) + f(row.medianBestArea, 3).leftPadded(22))
    }
    return lines.joined(separator: "\n")
  }

  static func write(_ rows: [Row], classNames: [String], featuresPath: String, to path: String)
    throws
  {
    try PipelineError.naming(path) {
      try HDF5File.atomicWrite(to: path) { file in
        let root = file.root
        try root.setAttribute("kind", "cdbn-specificity")
        try root.setAttribute("features", featuresPath)
        try root.writeStrings("class_names", classNames)
        let blocks = try root.createGroup("blocks")
        for row in rows {
          let group = try blocks.createGroup(row.block)
          let u = row.units
          try group.writeDoubles("entropy", shape: [u], row.measure.entropy.map { $0 ?? .nan })
          try group.writeDoubles("best_area", shape: [u], row.measure.bestArea)
          try group.writeInts("best_class", shape: [u], row.measure.bestClass)
          try group.setAttribute("median_entropy", row.medianEntropy ?? .nan)
          try group.setAttribute("median_best_area", row.medianBestArea ?? .nan)
          try group.setAttribute("never_on", row.neverOn)
        }
      }
    }
  }

  /// One entropy histogram per block, side by side, 20 bins over [0, log₂ K].
  static func draw(_ rows: [Row], classes: Int, to path: String) throws {
    let high = Double.log2(Double(classes))
    let bins = 20
    let (w, h, m) = (TrainingCurves.panelWidth, TrainingCurves.panelHeight, TrainingCurves.margin)
    var raster = Raster(width: rows.count * (w + 2 * m), height: h + 2 * m)
    for (i, row) in rows.enumerated() {
      var counts = [Int](repeating: 0, count: bins)
      for e in row.measure.entropy.compactMap({ $0 }) {
        counts[min(bins - 1, max(0, Int(e / high * Double(bins))))] += 1
      }
      let median = row.medianEntropy.map { String(format: "%.2f", $0) } ?? "-"
      raster.histogram(
        at: (i * (w + 2 * m) + m, m), title: "LAYER \(row.block) ENTROPY (MEDIAN \(median))",
        counts: counts, low: 0, high: high)
    }
    try PipelineError.naming(path) {
      try PNGWriter.write(rgb: raster.pixels, width: raster.width, height: raster.height, to: path)
    }
  }
}

extension String {
  fileprivate func leftPadded(_ width: Int) -> String {
    String(repeating: " ", count: max(0, width - count)) + self
  }
}
