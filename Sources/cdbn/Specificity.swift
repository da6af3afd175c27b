import ArgumentParser
import CDBNPipeline

struct Specificity: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure how class-specific each unit of each layer of a labelled feature file is.",
    discussion: """
      Per unit: the conditional entropy (bits) of the class given that the unit is on, with equal \
      class priors and each row's value read as the unit's chance of being on in that picture, \
      and the best one-vs-rest ROC area over the classes. Prints each layer's medians. Make the \
      feature file with one value per unit and picture, as in \
      cdbn features --layer 1,2,3 --pyramid 1 --pyramid-pooling mean (Lee et al. 2009 measure how class-specific units grow with depth).
      """)

  @Option(help: "Labelled feature file (cdbn features); its /feature_blocks are the layers.")
  var features: String

  @Option(help: "HDF5 file to write: per layer, each unit's entropy, best ROC area and class.")
  var out: String?

  @Option(help: "PNG to write: a histogram of the units' entropies per layer.")
  var picture: String?

  @Flag(help: "Replace existing output files.")
  var force = false

  func run() throws {
    for path in [out, picture].compactMap({ $0 }) { try OutputFile.check(path, force: force) }
    let rows = try SpecificityReport.run(
      featuresPath: features, outputPath: out, picturePath: picture)
    print(SpecificityReport.table(rows, classes: rows.first?.measure.classes ?? 0))
    for path in [out, picture].compactMap({ $0 }) { print("wrote \(path)") }
  }
}
