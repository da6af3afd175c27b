import ArgumentParser
import CDBNClassifiers
import CDBNConvNet
import CDBNPipeline
import Foundation

struct Classify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a classifier on a feature file and test it on another (or apply a saved one).",
    discussion: """
      Features are standardised with the training set's mean and deviation. Without --c, C (and γ \
      for rbf-svm) is chosen by stratified K-fold cross-validation on the training set over a log \
      grid. Prints the test error, per-class accuracy and the confusion matrix.

      Test labels are matched to the classifier's classes by name (the files' /label_names): a \
      test class the classifier never saw is named in a warning and counts as errors in its own \
      confusion row (--strict refuses it instead). Files without names are matched by number, \
      with a warning.
      """)

  @Option(help: "Training feature file (/features, /labels), as written by cdbn features.")
  var train: String?

  @Option(help: "Test feature file (for cnn: labelled examples, as train-cnn reads them).")
  var test: String

  @Option(
    help:
      "linear-svm (LIBLINEAR), rbf-svm (LIBSVM), softmax, or cnn (a network from --cnn-config, on the features' maps)."
  )
  var classifier = "linear-svm"

  @Option(
    help: ArgumentHelp(
      "The CNN's layers and training (--classifier cnn): a train-cnn config without input:; --set overrides its keys.",
      valueName: "yaml"))
  var cnnConfig: String?

  /// `--set`: overrides of --cnn-config's keys (--classifier cnn only).
  @OptionGroup var cnnOverrides: ConfigOverrideOptions

  @Option(
    help:
      "A saved classifier to apply instead of training: the --out of an earlier run, or a train-cnn file (--test then holds pictures)."
  )
  var model: String?

  @Option(help: "Regularisation constant C; chosen by cross-validation when absent.")
  var c: Double?

  @Option(help: "Comma-separated C values for the cross-validation (default: 2^-7 … 2^7).")
  var cValues: String?

  @Option(help: "RBF kernel width γ (rbf-svm only); 1/D when absent and C is given.")
  var gamma: Double?

  @Option(
    help:
      "Comma-separated γ values for the cross-validation (rbf-svm only; default: 2^3 … 2^-15, or --gamma)."
  )
  var gammaValues: String?

  @Option(help: "Folds of the cross-validation that chooses C (and of --probability's).")
  var cv = 5

  @Flag(
    help:
      "SVMs: fit Platt sigmoids on cross-validated decision values (LIBSVM's -b 1), so that the saved model gives probabilities to cdbn predict."
  )
  var probability = false

  @Option(help: "Train on this many randomly chosen training examples.")
  var trainLimit: Int?

  @Option(
    help: ArgumentHelp(
      "Use only these rows of the training file, like 0:50000 (a validation split cut from it).",
      valueName: "A:B"))
  var trainRows: RowRange?

  @Option(help: ArgumentHelp("Test on only these rows of the test file.", valueName: "A:B"))
  var testRows: RowRange?

  @Option(
    help: ArgumentHelp(
      "Use only these feature blocks of both files (/feature_blocks names: layers like 1,2, or mfcc).",
      valueName: "names"))
  var blocks: String?

  @Option(help: "Seed of the folds and of the training subset.")
  var seed: UInt64 = 1

  @Flag(help: "Use the features as they are, without standardising them.")
  var noStandardize = false

  @Option(help: "Result file: predictions, confusion matrix and the fitted model.")
  var out: String?

  @Flag(help: "Replace an existing --out file.")
  var force = false

  @Flag(
    help: "Refuse test classes the classifier was not trained on (default: count them as errors).")
  var strict = false

  @OptionGroup var compute: ComputeOptions

  func run() throws {
    try compute.apply()
    if let out { try OutputFile.check(out, force: force) }
    Interruption.install()
    let reporter = ProgressReporter()
    if let model {
      guard train == nil else { throw ValidationError("give --train or --model, not both") }
      guard !probability else {
        throw ValidationError("--probability calibrates while training; it needs --train")
      }
      let report = try Classification.apply(
        modelPath: model, testPath: test, testRows: testRows?.range, outputPath: out,
        strict: strict, reporter: reporter)
      print(report.rendered())
      return
    }
    guard let train else { throw ValidationError("--train is needed (or --model to apply one)") }
    guard cv >= 2, cv <= 100 else { throw ValidationError("--cv must be in 2...100") }
    if let c, !(c > 0 && c.isFinite) { throw ValidationError("--c must be positive") }
    if let gamma, !(gamma > 0 && gamma.isFinite) {
      throw ValidationError("--gamma must be positive")
    }
    let kind = try ClassifierKinds.all.kind(named: classifier)
    var run = Classification(kind: kind)
    if kind == .cnn {
      guard let cnnConfig else {
        throw ValidationError(
          "--classifier cnn needs --cnn-config NET.yaml (its layers and training), or --model to apply a saved one"
        )
      }
      guard c == nil, cValues == nil, gamma == nil, gammaValues == nil, !probability else {
        throw ValidationError(
          "--c, --c-values, --gamma, --gamma-values and --probability do not apply to cnn; its settings come from --cnn-config"
        )
      }
      run.cnnConfig = try CNNConfig(contentsOf: cnnConfig, overrides: cnnOverrides.values)
    } else if cnnConfig != nil || !cnnOverrides.values.isEmpty {
      throw ValidationError("--cnn-config and --set go with --classifier cnn")
    }
    run.c = c
    run.gamma = gamma
    run.folds = cv
    run.seed = seed
    run.trainLimit = trainLimit
    run.trainRows = trainRows?.range
    run.testRows = testRows?.range
    run.standardize = !noStandardize
    run.strict = strict
    run.probability = probability
    run.blocks = try blocks.map { text in
      let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      guard !names.contains(where: \.isEmpty), Set(names).count == names.count else {
        throw ValidationError(
          "--blocks takes distinct block names, like 1,2 or 1,mfcc, got \"\(text)\"")
      }
      return names
    }
    if probability && run.kind == .softmax {
      throw ValidationError("--probability is for the SVMs; softmax gives probabilities itself")
    }
    if gammaValues != nil && (run.kind != .rbfSVM || gamma != nil) {
      throw ValidationError("--gamma-values goes with --classifier rbf-svm and without --gamma")
    }
    if cValues != nil || gammaValues != nil {
      let defaultGrid = try ClassifierKinds.all.prototype(kind).defaultGrid
      let cs =
        try cValues.map { try Self.positiveList($0, "--c-values") }
        ?? Array(Set(defaultGrid.map(\.c))).sorted()
      let gammas: [Double?] =
        try gammaValues.map { try Self.positiveList($0, "--gamma-values") }
        ?? (cValues != nil
          ? [gamma] : Array(Set(defaultGrid.compactMap(\.gamma))).sorted())
      run.grid = cs.flatMap { c in gammas.map { GridPoint(c: c, gamma: $0) } }
    }
    let result = try run.run(trainPath: train, testPath: test, outputPath: out, reporter: reporter)
    if let search = result.search { print(search.rendered()) }
    if let chosen = result.chosen { print("fitted with \(chosen) [c \(chosen.c)]") }
    print(result.report.rendered())
    print(
      String(
        format: "train %.2f s on %d examples, test %.2f s", result.fitSeconds,
        result.trainExamples, result.testSeconds))
    if let out { reporter.log("wrote \(out)") }
  }

  /// "0.01,0.1,1" as numbers, each positive and finite.
  static func positiveList(_ text: String, _ option: String) throws -> [Double] {
    let values = text.split(separator: ",").map {
      Double($0.trimmingCharacters(in: .whitespaces))
    }
    guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 && $0!.isFinite }) else {
      throw ValidationError("\(option) takes positive numbers like 0.01,0.1,1, got \"\(text)\"")
    }
    return values.map { $0! }
  }
}
