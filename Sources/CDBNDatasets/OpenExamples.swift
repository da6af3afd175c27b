import Foundation

/// Opens a data set by what `path` is:
///
/// - a folder: an ``ImageFolder`` (flat or one subfolder per class);
/// - `*.h5` / `*.hdf5`: ``HDF5Examples`` (`/data` [N, C, H, W] float32, optional `/labels`, `/ids`);
/// - an IDX image file, raw or gzipped (told by its magic number): MNIST images, with labels from
///   the sibling labels file when there is one (`train-images-idx3-ubyte[.gz]` ↔
///   `train-labels-idx1-ubyte[.gz]`, `t10k-…` likewise);
/// - `*.csv` / `*.csv.gz`: ``MNISTCSV``;
/// - a single PNG or JPEG picture: one example, id = the file name.
///
/// - Parameter grayscale: for pictures, convert to one gray channel (else three RGB channels).
/// - Parameter sizing: for pictures, a resize or a central crop to one size; other data sets refuse
///   anything but `.original`.
public func openExamples(
  path: String, grayscale: Bool = true, sizing: ImageFolder.Sizing = .original
) throws -> any ExampleSource {
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
    throw DatasetError(.unreadable, path: path, "no such file or folder")
  }
  if isDirectory.boolValue {
    return try ImageFolder(path: path, grayscale: grayscale, sizing: sizing)
  }
  let prefix = try GzipFile.readPrefix(path: path, count: 8)
  if ImageFormat.detect(prefix) != nil {
    let image = try DecodedImage(path: path)
    return try InMemoryExamples(
      (grayscale ? image.grayscale() : image.rgb()).sized(sizing, path: path).tensor,
      ids: [(path as NSString).lastPathComponent], name: path)
  }
  guard sizing == .original else {
    throw DatasetError(
      .invalidArgument, path: path,
      "resizing and cropping apply to pictures (a folder of them, a PNG or a JPEG), not to this data set"
    )
  }
  let name = (path as NSString).lastPathComponent.lowercased()
  if name.hasSuffix(".h5") || name.hasSuffix(".hdf5") {
    return try HDF5Examples(path: path)
  }
  if let magic = MNISTIDX.magic(of: prefix) {
    if magic == MNISTIDX.labelsMagic {
      throw DatasetError(
        .unsupportedFormat, path: path,
        "is an IDX label file; open the matching images file instead")
    }
    if magic == MNISTIDX.imagesMagic {
      if let labelsPath = siblingLabelsPath(of: path) {
        return try MNISTIDX.load(imagesPath: path, labelsPath: labelsPath)
      }
      return try InMemoryExamples(MNISTIDX.loadImages(path: path), name: path)
    }
  }
  if name.hasSuffix(".csv") || name.hasSuffix(".csv.gz") {
    return try MNISTCSV.load(path: path)
  }
  if prefix.isEmpty {
    throw DatasetError(.truncated, path: path, "file is empty")
  }
  throw DatasetError(
    .unsupportedFormat, path: path,
    "not a folder, HDF5 (.h5), IDX, CSV (.csv[.gz]), PNG or JPEG data set")
}

/// The labels file next to an IDX images file, trying both gzipped and raw names.
private func siblingLabelsPath(of imagesPath: String) -> String? {
  let folder = (imagesPath as NSString).deletingLastPathComponent
  var base = (imagesPath as NSString).lastPathComponent
  guard base.contains("images-idx3") else { return nil }
  let gzipped = base.hasSuffix(".gz")
  if gzipped { base.removeLast(3) }
  let labels = base.replacingOccurrences(of: "images-idx3", with: "labels-idx1")
  // Same compression as the images first.
  for candidate in gzipped ? [labels + ".gz", labels] : [labels, labels + ".gz"] {
    let full = folder.isEmpty ? candidate : (folder as NSString).appendingPathComponent(candidate)
    if FileManager.default.fileExists(atPath: full) { return full }
  }
  return nil
}
