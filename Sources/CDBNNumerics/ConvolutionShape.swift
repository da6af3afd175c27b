/// The sizes of one multi-channel valid cross-correlation: C input planes of H×W, K filters of
/// C×fh×fw, K output planes of (H−fh+1)×(W−fw+1). Height 1 is the 1-D (audio) case.
public struct ConvolutionShape: Sendable, Equatable, CustomStringConvertible {
  public let channels: Int
  public let height: Int
  public let width: Int
  public let filters: Int
  public let filterHeight: Int
  public let filterWidth: Int

  public init(
    channels: Int, height: Int, width: Int, filters: Int, filterHeight: Int, filterWidth: Int
  ) {
    self.channels = channels
    self.height = height
    self.width = width
    self.filters = filters
    self.filterHeight = filterHeight
    self.filterWidth = filterWidth
  }

  public var outputHeight: Int { height - filterHeight + 1 }
  public var outputWidth: Int { width - filterWidth + 1 }
  /// Rows of the unfolded (im2col) matrix: C·fh·fw.
  public var patchSize: Int { channels * filterHeight * filterWidth }
  /// Output positions per plane: Ho·Wo.
  public var outputPlane: Int { outputHeight * outputWidth }
  public var inputPlane: Int { height * width }
  public var inputSize: Int { channels * height * width }
  public var outputSize: Int { filters * outputPlane }
  public var weightCount: Int { filters * patchSize }

  /// True when every size is positive and the filter fits inside the input.
  public var isValid: Bool {
    channels > 0 && height > 0 && width > 0 && filters > 0 && filterHeight > 0 && filterWidth > 0
      && filterHeight <= height && filterWidth <= width
  }

  /// Multiply–adds ×2 of one valid correlation of one example: 2·K·C·fh·fw·Ho·Wo.
  public var flopsPerExample: Double {
    2 * Double(filters) * Double(patchSize) * Double(outputPlane)
  }

  public var description: String {
    "\(channels)×\(height)×\(width) ⋆ \(filters)×\(channels)×\(filterHeight)×\(filterWidth)"
  }
}
