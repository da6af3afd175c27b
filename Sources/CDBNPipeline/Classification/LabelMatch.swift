import CDBNDatasets

/// A test file's labels put into a classifier's numbering by name.
///
/// Each file numbers its labels by its own list of names (`/label_names`), so a test file that lacks
/// a class, has an extra one or lists them in another order numbers them differently from the
/// training file. Matching by name gives every test example the classifier's number for its class;
/// a class the classifier never saw gets a number after all of the classifier's names, so it has its
/// own confusion row and all its examples count as errors. Files without names fall back to
/// matching by number, with a warning.
struct LabelMatch {
  /// Each test example's label in the classifier's numbering.
  let labels: [Int]
  /// The name of every label value of that numbering; nil when matched by number.
  let names: [String]?
  /// The test classes the classifier was not trained on (shown by name, or by number), with
  /// their example counts, in label order.
  let unseen: [(name: String, count: Int)]
  /// Said once to the user: why labels are matched by number, or which classes count as errors.
  let warnings: [String]

  /// - Parameters:
  ///   - classifierClasses: the label values the classifier was trained on (in its numbering).
  ///   - classifierNames: the names of the classifier's numbering (value k is `classifierNames[k]`).
  ///   - strict: refuse a test class the classifier was not trained on instead of counting it.
  init(
    testLabels: [Int], testNames: [String]?, testPath: String, classifierClasses: [Int],
    classifierNames: [String]?, classifierPath: String, strict: Bool
  ) throws {
    let counts = Dictionary(testLabels.map { ($0, 1) }, uniquingKeysWith: +)
    var warnings: [String] = []
    var unseen: [(name: String, count: Int)] = []
    if let testNames, let classifierNames {
      var index = Dictionary(uniqueKeysWithValues: classifierNames.enumerated().map { ($1, $0) })
      var names = classifierNames
      let trained = Set(classifierClasses.map { classifierNames[$0] })
      for value in counts.keys.sorted() {
        let name = testNames[value]
        if index[name] == nil {
          index[name] = names.count
          names.append(name)
        }
        if !trained.contains(name) { unseen.append((name, counts[value]!)) }
      }
      labels = testLabels.map { index[testNames[$0]]! }
      self.names = names
    } else {
      let missing = [(testPath, testNames), (classifierPath, classifierNames)]
        .filter { $0.1 == nil }.map(\.0)
      warnings.append(
        "warning: \(missing.joined(separator: " and ")) \(missing.count == 1 ? "has" : "have") no /\(LabelNames.member); test labels are matched to the classifier's by number"
      )
      let trained = Set(classifierClasses)
      for value in counts.keys.sorted() where !trained.contains(value) {
        unseen.append(("\(value)", counts[value]!))
      }
      labels = testLabels
      names = nil
    }
    if !unseen.isEmpty {
      let list = unseen.map { "\"\($0.name)\" (\($0.count) example\($0.count == 1 ? "" : "s"))" }
        .joined(separator: ", ")
      if strict {
        throw PipelineError(
          testPath,
          "has classes that \(classifierPath) was not trained on: \(list); without --strict they count as errors"
        )
      }
      warnings.append(
        "warning: \(testPath) has classes that \(classifierPath) was not trained on: \(list); they count as errors (--strict refuses them)"
      )
    }
    self.unseen = unseen
    self.warnings = warnings
  }
}
