import Testing

@testable import CDBNClassifiers
@testable import CDBNPipeline

/// Cross-validation that picks C or γ at the edge of its grid, while held-out accuracy still rises
/// towards that edge, says so and names the option that widens the grid.
@Suite struct GridEdgeWarningTests {
  /// A search over `points` whose held-out counts (one fold of 100) are `correct`.
  static func search(_ points: [GridPoint], _ correct: [Int]) -> GridSearchResult {
    GridSearchResult(points: points, correct: correct.map { [$0] }, foldSizes: [100])
  }

  static let cs = [0.1, 1, 10].map { GridPoint(c: $0) }

  @Test func risingTowardsEitherEndOfTheCGridWarns() throws {
    let high = try #require(Classification.gridEdgeWarning(Self.search(Self.cs, [80, 85, 90])))
    #expect(high.contains("C = 10.0, the largest") && high.contains("--c-values"), "\(high)")
    let low = try #require(Classification.gridEdgeWarning(Self.search(Self.cs, [90, 85, 80])))
    #expect(low.contains("C = 0.1, the smallest"), "\(low)")
  }

  @Test func aPeakInsideOrAFlatCurveDoesNotWarn() {
    #expect(Classification.gridEdgeWarning(Self.search(Self.cs, [80, 90, 85])) == nil)
    // Ties go to the smallest C: a plateau is not a rising edge.
    #expect(Classification.gridEdgeWarning(Self.search(Self.cs, [90, 90, 90])) == nil)
  }

  @Test func theGammaEdgeIsCheckedAtTheChosenC() throws {
    let points = [1.0, 10, 100].flatMap { c in [0.01, 0.1, 1].map { GridPoint(c: c, gamma: $0) } }
    // Best at C = 10 (inside), γ = 1 (the largest), better than γ = 0.1 at C = 10.
    let correct = [50, 60, 70, 60, 70, 95, 50, 60, 70]
    let warning = try #require(Classification.gridEdgeWarning(Self.search(points, correct)))
    #expect(warning.contains("γ = 1.0, the largest") && warning.contains("--gamma-values"))
  }
}
