import ArgumentParser
import CDBNPipeline
import Foundation

struct Split: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Split a feature file's rows into training and test files, per label or per speaker.",
    discussion: """
      --per-label N puts N random rows of each label in the training file and the rest in the test \
      file (speaker identification with N utterances per speaker); --per-speaker N does the same \
      within each speaker of /speakers. The draw depends only on --seed.
      """)

  @Option(help: "Feature file to split (/features [N, D], /labels, /ids, /speakers).")
  var features: String

  @Option(help: "Rows of each label value for training.")
  var perLabel: Int?

  @Option(help: "Rows of each speaker for training.")
  var perSpeaker: Int?

  @Option(help: "Seed of the random draw.")
  var seed: UInt64 = 1

  @Option(help: "Training file to write.")
  var trainOut: String

  @Option(help: "Test file to write (the rows not drawn for training).")
  var testOut: String?

  @Flag(help: "Replace existing output files.")
  var force = false

  func run() throws {
    let rule: FeatureSplit.Rule
    switch (perLabel, perSpeaker) {
    case (let n?, nil): rule = .perLabel(n)
    case (nil, let n?): rule = .perSpeaker(n)
    default: throw ValidationError("give one of --per-label N and --per-speaker N")
    }
    for path in [trainOut] + (testOut.map { [$0] } ?? []) {
      try OutputFile.check(path, force: force)
    }
    let (train, test) = try FeatureSplit(rule: rule, seed: seed).run(
      input: features, trainOutput: trainOut, testOutput: testOut)
    ProgressReporter().log(
      "wrote \(trainOut) (\(train) rows)" + (testOut.map { " and \($0) (\(test) rows)" } ?? ""))
  }
}
