/// Where the frames of a feature map sit in the signal: frame j is centred on sample
/// `firstCentre + j · stride`. Maps of different rates (spectrogram, MFCC, pooled CDBN layers) are
/// lined up with phone boundaries through it.
public struct FrameTiming: Sendable, Equatable {
  /// Centre of frame 0, in samples.
  public var firstCentre: Double
  /// Samples from one frame's centre to the next.
  public var stride: Double

  public init(firstCentre: Double, stride: Double) {
    precondition(stride > 0, "frame stride must be positive")
    self.firstCentre = firstCentre
    self.stride = stride
  }

  /// Frames of a spectrogram: frame t holds samples [t·hop, t·hop + window) (or, with `center`,
  /// is centred on sample t·hop).
  public init(_ spectrogram: Spectrogram) {
    self.init(
      firstCentre: spectrogram.center ? 0 : Double(spectrogram.windowLength - 1) / 2,
      stride: Double(spectrogram.hopLength))
  }

  /// The timing of a layer's pooled output on this input: a detection unit j sees input frames
  /// [j, j + filterWidth) and pooled unit m covers detection units [m·pooling, (m + 1)·pooling),
  /// so its centre is input frame m·pooling + (filterWidth − 1)/2 + (pooling − 1)/2.
  public func after(filterWidth: Int, pooling: Int) -> FrameTiming {
    FrameTiming(
      firstCentre: firstCentre + stride * Double(filterWidth - 1 + pooling - 1) / 2,
      stride: stride * Double(pooling))
  }

  /// Centre of frame `j`, in samples.
  public func centre(of j: Int) -> Double { firstCentre + Double(j) * stride }

  /// The frames of a map of `frameCount` frames whose centres lie in the segment [start, end); when
  /// none does (a segment shorter than the stride), the one frame whose centre is nearest the
  /// segment's middle. Never empty when frameCount > 0.
  public func frames(of segment: TimedLabel, frameCount: Int) -> Range<Int> {
    precondition(frameCount > 0)
    func firstAtOrAfter(_ sample: Int) -> Int {
      let j = ((Double(sample) - firstCentre) / stride).rounded(.up)
      return Int(min(max(j, 0), Double(frameCount)))
    }
    let a = firstAtOrAfter(segment.start)
    let b = firstAtOrAfter(segment.end)
    if b > a { return a..<b }
    let middle = Double(segment.start + segment.end) / 2
    let nearest = Int(
      min(max(((middle - firstCentre) / stride).rounded(), 0), Double(frameCount - 1)))
    return nearest..<(nearest + 1)
  }
}
