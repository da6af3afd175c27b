import CDBNNumerics
import Foundation

/// A folder of PNG/JPEG pictures, decoded lazily one at a time.
///
/// Two layouts: flat (every picture in the folder itself, no labels) or one subfolder per class
/// (`root/cat/1.jpg`, `root/dog/7.png`; the label is the index of the subfolder in sorted order).
/// The layout is "by class" as soon as the folder has a non-hidden subfolder. Files are listed in
/// sorted order so indices are reproducible; files without a .png/.jpg/.jpeg extension (any case)
/// and hidden entries are skipped.
public struct ImageFolder: ExampleSource, Sendable {
  /// How pictures are brought to one size.
  public enum Sizing: Sendable, Equatable {
    /// Keep each picture's size; batches then need all pictures to share one size.
    case original
    /// Bilinear resize to exactly `width` x `height` (aspect ratio not kept).
    case resize(width: Int, height: Int)
    /// The central `width` x `height` region; a smaller picture is an error.
    case centerCrop(width: Int, height: Int)
    /// Resize so the longer side is `side` pixels, the aspect ratio kept (Lee et al. 2009 and
    /// Caltech-101 practice: 150); pictures then differ in size.
    case longestSide(Int)
  }

  /// The folder as given.
  public let root: String
  /// Whether pictures are converted to one gray channel (else to three RGB channels).
  public let grayscale: Bool
  public let sizing: Sizing
  /// Class names (sorted subfolder names); empty for a flat folder.
  public let classNames: [String]
  /// Path of each picture relative to `root`, e.g. "cat/1.jpg".
  public private(set) var relativePaths: [String]
  private var classIndices: [Int]?
  /// [C, H, W]: fixed by `sizing`, or taken from the first picture's header for `.original` and
  /// `.longestSide`.
  public private(set) var exampleShape: [Int]

  /// Lists `path`; reads only the first picture's header (for `.original` sizing).
  public init(path: String, grayscale: Bool = true, sizing: Sizing = .original) throws {
    self.root = path
    self.grayscale = grayscale
    self.sizing = sizing
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw DatasetError(.unreadable, path: path, "not a folder")
    }
    let entries = try Self.listing(path)
    let subfolders = entries.filter { Self.isDirectory(Self.join(path, $0)) }
    var files: [String] = []
    var indices: [Int] = []
    if subfolders.isEmpty {
      files = entries.filter { ImageFormat.hasImageExtension($0) }
      classNames = []
    } else {
      if let stray = entries.first(where: {
        ImageFormat.hasImageExtension($0) && !subfolders.contains($0)
      }) {
        throw DatasetError(
          .badShape, path: Self.join(path, stray),
          "picture beside class subfolders: put every picture in a class folder, or use a flat folder"
        )
      }
      classNames = subfolders
      for (label, name) in subfolders.enumerated() {
        for file in try Self.listing(Self.join(path, name))
        where ImageFormat.hasImageExtension(file) {
          let relative = name + "/" + file
          if !Self.isDirectory(Self.join(path, relative)) {
            files.append(relative)
            indices.append(label)
          }
        }
      }
    }
    guard !files.isEmpty else {
      throw DatasetError(.unreadable, path: path, "folder holds no .png, .jpg or .jpeg files")
    }
    relativePaths = files
    classIndices = subfolders.isEmpty ? nil : indices
    let channels = grayscale ? 1 : 3
    switch sizing {
    case .resize(let width, let height), .centerCrop(let width, let height):
      guard width > 0, height > 0 else {
        throw DatasetError(
          .invalidArgument, path: path, "target size \(width)x\(height) is not positive")
      }
      exampleShape = [channels, height, width]
    case .original:
      let first = try DecodedImage.probe(path: Self.join(path, files[0]))
      exampleShape = [channels, first.height, first.width]
    case .longestSide(let side):
      guard side > 0 else {
        throw DatasetError(.invalidArgument, path: path, "longest side \(side) is not positive")
      }
      let first = try DecodedImage.probe(path: Self.join(path, files[0]))
      let size = DecodedImage.longestSideSize(
        width: first.width, height: first.height, side: side)
      exampleShape = [channels, size.height, size.width]
    }
  }

  public var count: Int { relativePaths.count }

  /// The size picture `index` has once sized, read from its header alone.
  public func size(at index: Int) throws -> (width: Int, height: Int) {
    switch sizing {
    case .resize(let width, let height), .centerCrop(let width, let height):
      return (width, height)
    case .original:
      let header = try DecodedImage.probe(path: path(at: index))
      return (header.width, header.height)
    case .longestSide(let side):
      let header = try DecodedImage.probe(path: path(at: index))
      return DecodedImage.longestSideSize(width: header.width, height: header.height, side: side)
    }
  }

  /// This folder with only the pictures `keep` accepts, their labels and class names kept; nil
  /// when it accepts none. `exampleShape` becomes the first kept picture's.
  public func keeping(_ keep: (Int) throws -> Bool) throws -> ImageFolder? {
    let kept = try relativePaths.indices.filter(keep)
    guard let first = kept.first else { return nil }
    var copy = self
    copy.relativePaths = kept.map { relativePaths[$0] }
    copy.classIndices = classIndices.map { labels in kept.map { labels[$0] } }
    let size = try self.size(at: first)
    copy.exampleShape = [exampleShape[0], size.height, size.width]
    return copy
  }

  public var labels: [Int]? { classIndices }

  /// The class folder names (nil for a flat folder).
  public var labelNames: [String]? { classIndices == nil ? nil : classNames }

  public var ids: [String]? { relativePaths }

  /// Absolute (or root-relative, as `root` was given) path of picture `index`.
  public func path(at index: Int) -> String { Self.join(root, relativePaths[index]) }

  /// Picture `index` decoded, converted and sized, as [1, C, H, W].
  ///
  /// With `.original` or `.longestSide` sizing its size may differ from `exampleShape`; `batch`
  /// checks that.
  public func image(at index: Int) throws -> Tensor {
    guard index >= 0 && index < count else {
      throw DatasetError(
        .invalidArgument, path: root, "image index \(index) is outside 0..<\(count)")
    }
    let file = path(at: index)
    let image = try DecodedImage(path: file)
    return try (grayscale ? image.grayscale() : image.rgb()).sized(sizing, path: file).tensor
  }

  public func batch(_ range: Range<Int>) throws -> Tensor {
    try checkRange(range, path: root)
    let per = exampleShape.reduce(1, *)
    var scalars = [Float]()
    scalars.reserveCapacity(range.count * per)
    for index in range {
      let picture = try image(at: index)
      guard Array(picture.shape.dropFirst()) == exampleShape else {
        throw DatasetError(
          .badShape, path: path(at: index),
          "picture is \(picture.shape[3])x\(picture.shape[2]) but the folder's first is \(exampleShape[2])x\(exampleShape[1]); bring them to one size (features: --size H,W or --crop H,W; pretrain: data.size or data.crop), or pool each picture's maps with features --pyramid"
        )
      }
      scalars.append(contentsOf: picture.scalars)
    }
    return Tensor(shape: [range.count] + exampleShape, scalars: scalars)
  }

  /// Non-hidden entries of a folder, sorted by name (byte order, as `ls` in the C locale).
  private static func listing(_ path: String) throws -> [String] {
    do {
      return try FileManager.default.contentsOfDirectory(atPath: path)
        .filter { !$0.hasPrefix(".") }
        .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    } catch {
      throw DatasetError(
        .unreadable, path: path, "cannot list folder: \(error.localizedDescription)")
    }
  }

  private static func isDirectory(_ path: String) -> Bool {
    var flag: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
  }

  private static func join(_ folder: String, _ name: String) -> String {
    folder.hasSuffix("/") ? folder + name : folder + "/" + name
  }
}

extension DecodedImage {
  /// This image brought to `sizing`'s size; `path` names it when it is smaller than a crop.
  func sized(_ sizing: ImageFolder.Sizing, path: String) throws -> DecodedImage {
    switch sizing {
    case .original:
      return self
    case .resize(let width, let height):
      return resized(width: width, height: height)
    case .centerCrop(let width, let height):
      guard let cropped = centerCropped(width: width, height: height) else {
        throw DatasetError(
          .badShape, path: path,
          "picture of \(self.width)x\(self.height) is smaller than the crop \(width)x\(height)")
      }
      return cropped
    case .longestSide(let side):
      let size = Self.longestSideSize(width: width, height: height, side: side)
      return resized(width: size.width, height: size.height)
    }
  }
}

extension ImageFolder: VariableSizeExamples {
  public func example(at index: Int) throws -> Tensor { try image(at: index) }
}
