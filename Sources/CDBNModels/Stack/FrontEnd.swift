import CDBNNumerics
import CDBNStorage

/// The first stage of a model: what turns raw data into the first layer's input. Images go through
/// `Preprocessing` (whitening, LCN, unit variance), audio through a spectrogram and PCA whitening
/// (CDBNAudio's `AudioFeatures`). A model holds one, saved as the checkpoint's `/preprocessing` group;
/// a reader picks the type by the group's `kind` attribute (see `FrontEnds` in the pipeline).
public protocol FrontEnd: Sendable {
  /// Whether a `/preprocessing` group of this `kind` attribute is this type's.
  static func reads(kind: String) -> Bool
  /// The `kind` attribute written.
  var kind: String { get }
  /// One line for `cdbn inspect`, after "preprocessing: ".
  var summary: String { get }
  /// The channels the first layer sees when the front end fixes them (audio: its PCA components);
  /// nil when the data decides (images: grey or colour).
  var outputChannels: Int? { get }
  func save(to group: HDF5Group) throws
  init(from group: HDF5Group) throws
}

extension FrontEnd {
  public var summary: String { kind }
  public var outputChannels: Int? { nil }
}

/// A front end for examples that are already tensors [N, C, H, W] (pictures).
public protocol ImageFrontEnd: FrontEnd {
  /// The first layer's input for a batch of raw examples.
  func apply(_ raw: Tensor) -> Tensor
}
