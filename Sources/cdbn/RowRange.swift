import ArgumentParser
import CDBNPipeline

/// A command-line row range "A:B" (rows A..<B; "A:" runs to the end of the file, ":B" starts at 0).
struct RowRange: ExpressibleByArgument {
  let range: Range<Int>

  init?(argument: String) {
    guard let range = RowSelection.parseRange(argument) else { return nil }
    self.range = range
  }

  static var defaultValueDescription: String { "all rows" }
}
