/// Fits a classifier the way `cdbn classify` does: standardised features, and C (and γ) chosen by
/// stratified cross-validation when not given.
///
/// - C given: fit once at C (RBF: at the given γ, else LIBSVM's 1/D).
/// - C nil: cross-validate over `grid` (default `kind.defaultGrid`; for the RBF SVM with a γ
///   given, the C values of that grid at that γ), then refit on all the data at the best point.
public struct ClassifierTrainer: Sendable {
  public var kind: ClassifierKind
  public var c: Double?
  public var gamma: Double?
  /// Overrides the default cross-validation grid.
  public var grid: [GridPoint]?
  public var folds: Int
  public var seed: UInt64
  public var standardize: Bool

  public init(
    kind: ClassifierKind, c: Double? = nil, gamma: Double? = nil, grid: [GridPoint]? = nil,
    folds: Int = 5, seed: UInt64 = 1, standardize: Bool = true
  ) {
    self.kind = kind
    self.c = c
    self.gamma = gamma
    self.grid = grid
    self.folds = folds
    self.seed = seed
    self.standardize = standardize
  }

  /// The fitted classifier and, when C was chosen by cross-validation, the search's scores.
  public struct Outcome: Sendable {
    public var classifier: StandardizedClassifier
    public var search: GridSearchResult?
    /// The C (and γ) the final model was fitted with.
    public var chosen: GridPoint
  }

  /// The grid that `fit` searches when C is nil.
  public var searchGrid: [GridPoint] {
    if let grid { return grid }
    if kind == .rbfSVM, let gamma {
      var seen = Set<Double>()
      return kind.defaultGrid.compactMap {
        seen.insert($0.c).inserted ? GridPoint(c: $0.c, gamma: gamma) : nil
      }
    }
    return kind.defaultGrid
  }

  /// `progress` follows the cross-validation's fits and may throw to stop them (see
  /// `CrossValidation.gridSearch`).
  public func fit(
    _ x: FeatureMatrix, labels: [Int],
    progress: (@Sendable (_ done: Int, _ total: Int) throws -> Void)? = nil
  ) throws -> Outcome {
    if kind != .rbfSVM, gamma != nil {
      throw ClassifierError.invalidParameter("gamma applies to rbf-svm only, not \(kind.rawValue)")
    }
    var search: GridSearchResult? = nil
    let point: GridPoint
    if let c {
      point = GridPoint(c: c, gamma: gamma)
    } else {
      let result = try CrossValidation.gridSearch(
        x, labels: labels, grid: searchGrid, folds: try StratifiedKFold(folds: folds, seed: seed),
        progress: progress
      ) { [kind, standardize] in
        StandardizedClassifier(kind.makeClassifier($0), standardize: standardize)
      }
      search = result
      point = result.best
    }
    var model = StandardizedClassifier(kind.makeClassifier(point), standardize: standardize)
    try model.fit(x, labels: labels)
    return Outcome(classifier: model, search: search, chosen: point)
  }
}
