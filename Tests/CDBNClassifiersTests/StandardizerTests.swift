import Testing

@testable import CDBNClassifiers

@Suite struct StandardizerTests {
  @Test func meanStdAndConstantColumns() throws {
    // Column 0: 1, 2, 3, 4 (mean 2.5, population std √1.25); column 1 constant 0.1.
    let x = try FeatureMatrix(rows: 4, columns: 2, values: [1, 0.1, 2, 0.1, 3, 0.1, 4, 0.1])
    let s = try Standardizer(fitting: x)
    #expect(s.mean[0] == 2.5)
    #expect(abs(s.std[0] - Float(1.25.squareRoot())) < 1e-6)
    #expect(s.std[1] == 1)
    let t = try s.transform(x)
    let finite = t.values.allSatisfy { $0.isFinite }
    #expect(finite)
    #expect((0..<4).allSatisfy { abs(t[$0, 1]) < 1e-7 })
    #expect(abs((0..<4).map { t[$0, 0] }.reduce(0, +)) < 1e-6)
    // New data is scaled with the training statistics, not its own.
    let test = try s.transform(try FeatureMatrix(rows: 1, columns: 2, values: [2.5, 5]))
    #expect(test.values == [0, 4.9])
  }

  @Test func widthMismatchAndNaNAreErrors() throws {
    let s = try Standardizer(fitting: try FeatureMatrix(rows: 2, columns: 2, values: [0, 1, 2, 3]))
    #expect(throws: ClassifierError.self) {
      _ = try s.transform(try FeatureMatrix(rows: 1, columns: 3, values: [0, 0, 0]))
    }
    #expect(throws: ClassifierError.self) {
      _ = try Standardizer(fitting: try FeatureMatrix(rows: 2, columns: 1, values: [0, .nan]))
    }
  }

  @Test func reportCountsAndRenders() throws {
    let report = try ClassificationReport(
      trueLabels: [0, 0, 0, 1, 1, 2, 2, 2], predicted: [0, 0, 1, 1, 1, 2, 0, 7])
    #expect(report.classes == [0, 1, 2, 7])
    #expect(report.confusion == [[2, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 1], [0, 0, 0, 0]])
    #expect(report.correct == 5 && report.total == 8)
    #expect(abs(report.errorPercent - 37.5) < 1e-12)
    #expect(report.perClassAccuracy[1] == 1 && report.perClassAccuracy[3] == nil)
    let text = report.rendered()
    // Classes 0, 1, 2 of the truth: (2/3 + 2/2 + 1/3) / 3; class 7 was only predicted.
    #expect(abs(report.meanClassAccuracy - 2.0 / 3) < 1e-12)
    #expect(
      text.hasPrefix(
        "error 37.50% (3 of 8 wrong), accuracy 62.50%, mean per-class accuracy 66.67%"))
    #expect(text.contains("  2: 33.33% (1 of 3)"))
    #expect(text.contains("     2     1     0     1     1"))
    #expect(throws: ClassifierError.self) {
      _ = try ClassificationReport(trueLabels: [1], predicted: [])
    }
  }
}
