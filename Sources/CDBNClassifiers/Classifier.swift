import CDBNStorage

/// A supervised classifier in the scikit-learn mould: `fit`, then `predict`; `save` into an HDF5
/// group and `load` back.
///
/// Labels are arbitrary integers; `classes` lists the distinct training labels in ascending order.
/// Bad input (label count ≠ row count, NaN, one class only, a feature width the model was not
/// fitted on) throws `ClassifierError`; nothing traps. Kinds outside this module (the CNN) conform
/// too, and join ``ClassifierKinds`` to be named on the command line and loaded from files.
public protocol Classifier: Sendable {
  /// Which kind this is: the name of its saved `kind` attribute ("linear-svm", "cnn", ...).
  var kind: ClassifierKind { get }
  /// The labels seen in training, ascending; empty before fitting.
  var classes: [Int] { get }
  /// The feature width the model was fitted on; 0 before fitting.
  var featureCount: Int { get }
  /// The grid that cross-validation searches when no C is given; empty for kinds whose settings
  /// come whole from elsewhere (the CNN's config), which are fitted as they are.
  var defaultGrid: [GridPoint] { get }
  /// An unfitted copy with the grid point's C (and γ, for kinds that have one); an error for
  /// kinds without such settings.
  func configured(_ point: GridPoint) throws -> Self
  /// Fits on N rows of `x` with their N labels, replacing anything fitted before.
  mutating func fit(_ x: FeatureMatrix, labels: [Int]) throws
  /// One label from `classes` per row of `x`.
  func predict(_ x: FeatureMatrix) throws -> [Int]
  /// A score per row and class, [N, K] row-major in `classes` order; the highest wins (the linear
  /// models' w·x + b, the RBF SVM's one-vs-one votes, the CNN's log-probabilities).
  func scores(_ x: FeatureMatrix) throws -> [Float]
  /// Class probabilities [N, K] in `classes` order, for models that have them (softmax); nil else.
  func probabilityEstimates(_ x: FeatureMatrix) throws -> [Float]?
  /// Writes the model into `group`: attribute `kind`, parameters as attributes, arrays as datasets.
  func save(to group: HDF5Group) throws
  /// Reads a model written by `save`, checking the kind and every shape.
  static func load(from group: HDF5Group) throws -> Self
}

/// The name of a classifier kind, as used on the command line and in saved files' `kind`
/// attribute. Open: a module that adds a kind adds a name (`ClassifierKind.cnn` lives with the CNN).
public struct ClassifierKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public let rawValue: String

  public init(rawValue: String) { self.rawValue = rawValue }

  /// LIBLINEAR's L2-regularised L2-loss SVM, one-vs-rest.
  public static let linearSVM = ClassifierKind(rawValue: "linear-svm")
  /// LIBSVM's C-SVC with an RBF kernel, one-vs-one.
  public static let rbfSVM = ClassifierKind(rawValue: "rbf-svm")
  /// Multinomial logistic regression with an L2 penalty.
  public static let softmax = ClassifierKind(rawValue: "softmax")

  public var description: String { rawValue }

  /// Reads the `kind` attribute of a saved classifier group.
  static func read(from group: HDF5Group) throws -> ClassifierKind {
    guard group.hasAttribute("kind") else {
      throw ClassifierError.malformedModel("\(group.name): no \"kind\" attribute")
    }
    return ClassifierKind(rawValue: try group.stringAttribute("kind"))
  }

  /// Throws unless `group` holds a classifier of this kind.
  public func requireSaved(in group: HDF5Group) throws {
    let found = try ClassifierKind.read(from: group)
    guard found == self else {
      throw ClassifierError.malformedModel(
        "\(group.name): kind is \"\(found.rawValue)\", expected \"\(rawValue)\"")
    }
  }
}

/// The registry of classifier kinds: what `classify --classifier NAME` may fit and what a saved
/// `/model` group may hold. Each entry has its type (for loading) and, for kinds that need no
/// more than C and γ, an unfitted prototype to configure per grid point.
///
/// ```swift
/// let kinds = ClassifierKinds.standard.adding(ConvNetClassifier.self, kind: .cnn)
/// let model = try kinds.load(from: group)
/// ```
public struct ClassifierKinds: Sendable {
  public struct Entry: Sendable {
    public let kind: ClassifierKind
    public let type: any Classifier.Type
    /// Nil for kinds that cannot be made from a name alone (the CNN needs its network).
    public let prototype: (any Classifier)?
  }

  public let entries: [Entry]

  /// The kinds of this module: the two SVMs and softmax regression.
  public static let standard = ClassifierKinds(entries: [
    Entry(kind: .linearSVM, type: LinearSVM.self, prototype: LinearSVM()),
    Entry(kind: .rbfSVM, type: KernelSVM.self, prototype: KernelSVM()),
    Entry(kind: .softmax, type: SoftmaxRegression.self, prototype: SoftmaxRegression()),
  ])

  /// These kinds and one more; `prototype` as in ``Entry``.
  public func adding(
    _ type: any Classifier.Type, kind: ClassifierKind, prototype: (any Classifier)? = nil
  ) -> ClassifierKinds {
    ClassifierKinds(
      entries: entries.filter { $0.kind != kind }
        + [Entry(kind: kind, type: type, prototype: prototype)])
  }

  public var kinds: [ClassifierKind] { entries.map(\.kind) }

  private var names: String { kinds.map(\.rawValue).joined(separator: ", ") }

  /// The kind named `name` ("svm" is the linear SVM, as in the design notes'
  /// `--classifier svm|softmax`).
  public func kind(named name: String) throws -> ClassifierKind {
    let kind = ClassifierKind(rawValue: name == "svm" ? ClassifierKind.linearSVM.rawValue : name)
    guard entry(kind) != nil else {
      throw ClassifierError.invalidParameter(
        "unknown classifier \"\(name)\"; expected one of \(names)")
    }
    return kind
  }

  private func entry(_ kind: ClassifierKind) -> Entry? { entries.first { $0.kind == kind } }

  /// An unfitted classifier of `kind` with its default settings.
  public func prototype(_ kind: ClassifierKind) throws -> any Classifier {
    guard let entry = entry(kind) else {
      throw ClassifierError.invalidParameter(
        "unknown classifier \"\(kind)\"; expected one of \(names)")
    }
    guard let prototype = entry.prototype else {
      throw ClassifierError.invalidParameter(
        "\(kind) cannot be made from its name alone; it needs its own settings")
    }
    return prototype
  }

  /// Loads a classifier of any of these kinds from a group written by its `save`.
  public func load(from group: HDF5Group) throws -> any Classifier {
    let kind = try ClassifierKind.read(from: group)
    guard let entry = entry(kind) else {
      throw ClassifierError.malformedModel(
        "\(group.name): kind is \"\(kind)\", expected one of \(names)")
    }
    return try entry.type.load(from: group)
  }
}
