import CDBNStorage

/// A supervised classifier in the scikit-learn mould: `fit`, then `predict`; `save` into an HDF5
/// group and `load` back.
///
/// Labels are arbitrary integers; `classes` lists the distinct training labels in ascending order.
/// Bad input (label count ≠ row count, NaN, one class only, a feature width the model was not
/// fitted on) throws `ClassifierError`; nothing traps.
public protocol Classifier: Sendable {
  /// Which of the saved kinds this is ("linear-svm", "rbf-svm", "softmax").
  var kind: ClassifierKind { get }
  /// The labels seen in training, ascending; empty before fitting.
  var classes: [Int] { get }
  /// The feature width the model was fitted on; 0 before fitting.
  var featureCount: Int { get }
  /// Fits on N rows of `x` with their N labels, replacing anything fitted before.
  mutating func fit(_ x: FeatureMatrix, labels: [Int]) throws
  /// One label from `classes` per row of `x`.
  func predict(_ x: FeatureMatrix) throws -> [Int]
  /// A score per row and class, [N, K] row-major in `classes` order; the highest wins (the linear
  /// models' w·x + b, the RBF SVM's one-vs-one votes).
  func scores(_ x: FeatureMatrix) throws -> [Float]
  /// Class probabilities [N, K] in `classes` order, for models that have them (softmax); nil else.
  func probabilityEstimates(_ x: FeatureMatrix) throws -> [Float]?
  /// Writes the model into `group`: attribute `kind`, parameters as attributes, arrays as datasets.
  func save(to group: HDF5Group) throws
  /// Reads a model written by `save`, checking the kind and every shape.
  static func load(from group: HDF5Group) throws -> Self
}

/// The classifiers this module can fit, by the names used on the command line and in saved files.
public enum ClassifierKind: String, CaseIterable, Sendable {
  /// LIBLINEAR's L2-regularised L2-loss SVM, one-vs-rest.
  case linearSVM = "linear-svm"
  /// LIBSVM's C-SVC with an RBF kernel, one-vs-one.
  case rbfSVM = "rbf-svm"
  /// Multinomial logistic regression with an L2 penalty.
  case softmax = "softmax"

  /// Parses "linear-svm", "rbf-svm" or "softmax" (also "svm" for the linear SVM, as in the design
  /// notes' `--classifier svm|softmax`).
  public init(parsing name: String) throws {
    if name == "svm" {
      self = .linearSVM
      return
    }
    guard let kind = ClassifierKind(rawValue: name) else {
      throw ClassifierError.invalidParameter(
        "unknown classifier \"\(name)\"; expected one of "
          + ClassifierKind.allCases.map(\.rawValue).joined(separator: ", "))
    }
    self = kind
  }

  /// The cross-validation grid used when C is not given: 2^-7 … 2^7 for the linear models,
  /// LIBSVM's grid.py grid (C = 2^-5 … 2^15, γ = 2^3 … 2^-15, exponent step 2) for the RBF SVM.
  public var defaultGrid: [GridPoint] {
    switch self {
    case .linearSVM, .softmax: GridPoint.powersOfTwo(c: -7...7)
    case .rbfSVM:
      GridPoint.powersOfTwo(
        c: stride(from: -5, through: 15, by: 2), gamma: stride(from: 3, through: -15, by: -2))
    }
  }

  /// An unfitted classifier of this kind with the point's C (and γ for the RBF SVM; nil means
  /// LIBSVM's default 1/D).
  public func makeClassifier(_ point: GridPoint) -> any Classifier {
    switch self {
    case .linearSVM: LinearSVM(c: point.c)
    case .rbfSVM: KernelSVM(c: point.c, gamma: point.gamma)
    case .softmax: SoftmaxRegression(c: point.c)
    }
  }

  /// Reads the `kind` attribute of a saved classifier group.
  static func read(from group: HDF5Group) throws -> ClassifierKind {
    guard group.hasAttribute("kind") else {
      throw ClassifierError.malformedModel("\(group.name): no \"kind\" attribute")
    }
    let name = try group.stringAttribute("kind")
    guard let kind = ClassifierKind(rawValue: name) else {
      throw ClassifierError.malformedModel(
        "\(group.name): kind is \"\(name)\", expected one of "
          + ClassifierKind.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return kind
  }

  /// Throws unless `group` holds a classifier of this kind.
  func requireSaved(in group: HDF5Group) throws {
    let found = try ClassifierKind.read(from: group)
    guard found == self else {
      throw ClassifierError.malformedModel(
        "\(group.name): kind is \"\(found.rawValue)\", expected \"\(rawValue)\"")
    }
  }
}
