/// Fits a classifier the way `cdbn classify` does: standardised features, and C (and γ) chosen by
/// stratified cross-validation when not given.
///
/// - C given: fit the prototype configured at C (RBF: at the given γ, else LIBSVM's 1/D).
/// - C nil: cross-validate over `grid` (default the prototype's `defaultGrid`; for the RBF SVM with
///   a γ given, the C values of that grid at that γ), then refit on all the data at the best point.
/// - C nil and no grid (kinds such as the CNN, whose settings come whole from their config): fit
///   the prototype as it is.
public struct ClassifierTrainer: Sendable {
  /// An unfitted classifier with the settings that no grid point changes.
  public var prototype: any Classifier
  public var c: Double?
  public var gamma: Double?
  /// Overrides the default cross-validation grid.
  public var grid: [GridPoint]?
  public var folds: Int
  public var seed: UInt64
  public var standardize: Bool

  public init(
    _ prototype: any Classifier, c: Double? = nil, gamma: Double? = nil,
    grid: [GridPoint]? = nil, folds: Int = 5, seed: UInt64 = 1, standardize: Bool = true
  ) {
    self.prototype = prototype
    self.c = c
    self.gamma = gamma
    self.grid = grid
    self.folds = folds
    self.seed = seed
    self.standardize = standardize
  }

  /// A trainer for one of this module's kinds, from its default prototype.
  public init(
    kind: ClassifierKind, c: Double? = nil, gamma: Double? = nil, grid: [GridPoint]? = nil,
    folds: Int = 5, seed: UInt64 = 1, standardize: Bool = true
  ) throws {
    self.init(
      try ClassifierKinds.standard.prototype(kind), c: c, gamma: gamma, grid: grid, folds: folds,
      seed: seed, standardize: standardize)
  }

  public var kind: ClassifierKind { prototype.kind }

  /// The fitted classifier and, when C was chosen by cross-validation, the search's scores.
  public struct Outcome: Sendable {
    public var classifier: StandardizedClassifier
    public var search: GridSearchResult?
    /// The C (and γ) the final model was fitted with; nil for a kind fitted as it is.
    public var chosen: GridPoint?
  }

  /// The grid that `fit` searches when C is nil.
  public var searchGrid: [GridPoint] {
    if let grid { return grid }
    if let gamma, prototype.defaultGrid.contains(where: { $0.gamma != nil }) {
      var seen = Set<Double>()
      return prototype.defaultGrid.compactMap {
        seen.insert($0.c).inserted ? GridPoint(c: $0.c, gamma: gamma) : nil
      }
    }
    return prototype.defaultGrid
  }

  /// `progress` follows the cross-validation's fits and may throw to stop them (see
  /// `CrossValidation.gridSearch`).
  public func fit(
    _ x: FeatureMatrix, labels: [Int],
    progress: (@Sendable (_ done: Int, _ total: Int) throws -> Void)? = nil
  ) throws -> Outcome {
    // A γ for a kind without one is refused before any fit.
    if let gamma { _ = try prototype.configured(GridPoint(c: 1, gamma: gamma)) }
    var search: GridSearchResult? = nil
    let point: GridPoint?
    if let c {
      point = GridPoint(c: c, gamma: gamma)
    } else if searchGrid.isEmpty {
      point = nil
    } else {
      let result = try CrossValidation.gridSearch(
        x, labels: labels, grid: searchGrid, folds: try StratifiedKFold(folds: folds, seed: seed),
        progress: progress
      ) { [prototype, standardize] in
        StandardizedClassifier(try prototype.configured($0), standardize: standardize)
      }
      search = result
      point = result.best
    }
    var model = StandardizedClassifier(
      try point.map(prototype.configured) ?? prototype, standardize: standardize)
    try model.fit(x, labels: labels)
    return Outcome(classifier: model, search: search, chosen: point)
  }
}
