/// The names of a data set's label values: label value k is called `names[k]`.
///
/// Every file that holds labels (data sets, feature files, split files, classifiers) stores them
/// in `/label_names` [K] beside `/labels`, so that two files that number their classes differently
/// (a test folder that lacks a class, a TIMIT subset without one speaker) are compared by name,
/// never by number.
public enum LabelNames {
  /// The dataset that holds the names, beside `/labels`.
  public static let member = "label_names"

  /// MNIST's names: "0", "1", ... for the digits, covering every value in `labels` (at least 0...9).
  public static func digits(covering labels: [Int]) -> [String] {
    (0..<max(10, (labels.max() ?? 0) + 1)).map(String.init)
  }

  /// Throws unless `names` can name `labels`: no empty or repeated name, and every label value in
  /// 0..<names.count. `path` names the file in the error.
  public static func validate(_ names: [String], labels: [Int]?, path: String) throws {
    if let empty = names.firstIndex(of: "") {
      throw DatasetError(.badValue, path: path, "/\(member)[\(empty)] is empty")
    }
    var seen: [String: Int] = [:]
    for (i, name) in names.enumerated() {
      if let first = seen[name] {
        throw DatasetError(
          .badValue, path: path,
          "/\(member) names two label values \"\(name)\" (\(first) and \(i)); names must be distinct"
        )
      }
      seen[name] = i
    }
    if let labels, let bad = labels.firstIndex(where: { $0 < 0 || $0 >= names.count }) {
      throw DatasetError(
        .badValue, path: path,
        "/labels[\(bad)] = \(labels[bad]) has no name: /\(member) holds \(names.count)")
    }
  }
}
