import Foundation
import Testing

@testable import CDBNClassifiers

@Suite struct ClassSpecificityTests {
  @Test func handComputedUnits() throws {
    // Four pictures, two classes; columns are units:
    //   A: on only in class 0            → H = 0, ROC area for class 0 = 1
    //   B: equally on everywhere         → H = 1 bit, areas 0.5 (all ties)
    //   C: never on                      → no entropy
    //   D: 0.2 0.6 | 0.2 0 → class means 0.4, 0.1 → p = 0.8, 0.2 → H = 0.7219 bits;
    //      class 0 against class 1: pairs (0.2, 0.2) tie ½, (0.2, 0) 1, (0.6, 0.2) 1, (0.6, 0) 1
    //      → area 3.5 / 4 = 0.875
    let rows: [[Float]] = [
      [1, 0.5, 0, 0.2],
      [1, 0.5, 0, 0.6],
      [0, 0.5, 0, 0.2],
      [0, 0.5, 0, 0],
    ]
    let m = try FeatureMatrix(rows: 4, columns: 4, values: rows.flatMap { $0 })
    let s = try ClassSpecificity(activations: m, labels: [0, 0, 1, 1], classes: 2)
    #expect(s.entropy[0] == 0)
    #expect(abs(s.entropy[1]! - 1) < 1e-12)
    #expect(s.entropy[2] == nil)
    let d = -(0.8 * log2(0.8) + 0.2 * log2(0.2))
    #expect(abs(s.entropy[3]! - d) < 1e-6)  // float activations
    #expect(s.bestArea[0] == 1 && s.bestClass[0] == 0)
    #expect(s.bestArea[1] == 0.5)
    #expect(abs(s.bestArea[3] - 0.875) < 1e-12 && s.bestClass[3] == 0)
    // Medians over the defined entropies (0, 0.72, 1) and the four areas (1, 0.5, 0.5, 0.875).
    #expect(abs(s.medianEntropy! - d) < 1e-6)
    #expect(abs(s.medianBestArea! - 0.6875) < 1e-12)
  }

  @Test func classPriorsAreEqualised() throws {
    // Three pictures of class 0 and one of class 1, a unit on everywhere: no class is favoured.
    let m = try FeatureMatrix(rows: 4, columns: 1, values: [1, 1, 1, 1])
    let s = try ClassSpecificity(activations: m, labels: [0, 0, 0, 1], classes: 2)
    #expect(abs(s.entropy[0]! - 1) < 1e-12)
    // Four classes, a unit on in two of them equally: 1 bit of log₂ 4 = 2.
    let four = try FeatureMatrix(rows: 4, columns: 1, values: [0.3, 0.3, 0, 0])
    let t = try ClassSpecificity(activations: four, labels: [0, 1, 2, 3], classes: 4)
    #expect(abs(t.entropy[0]! - 1) < 1e-12)
  }

  @Test func badInputIsRefused() throws {
    let m = try FeatureMatrix(rows: 2, columns: 1, values: [1, -1])
    #expect(throws: ClassifierError.self) {
      try ClassSpecificity(activations: m, labels: [0, 1], classes: 2)
    }
    let ok = try FeatureMatrix(rows: 2, columns: 1, values: [1, 0])
    #expect(throws: ClassifierError.self) {
      try ClassSpecificity(activations: ok, labels: [0, 0], classes: 2)  // class 1 has no rows
    }
    #expect(throws: ClassifierError.self) {
      try ClassSpecificity(activations: ok, labels: [0, 2], classes: 2)
    }
    #expect(throws: ClassifierError.self) {
      try ClassSpecificity(activations: ok, labels: [0], classes: 2)
    }
  }
}
