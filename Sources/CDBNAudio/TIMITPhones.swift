/// TIMIT's 61 phone labels and their folding to the 39 classes of Lee & Hon (1989), the standard
/// set for reporting TIMIT phone recognition and classification.
public enum TIMITPhones {
  /// The 61 labels of TIMIT's `.phn` files.
  public static let all: [String] = [
    // stops and flaps
    "b", "d", "g", "p", "t", "k", "dx", "q",
    // affricates
    "jh", "ch",
    // fricatives
    "s", "sh", "z", "zh", "f", "th", "v", "dh",
    // nasals
    "m", "n", "ng", "em", "en", "eng", "nx",
    // semivowels and glides
    "l", "r", "w", "y", "hh", "hv", "el",
    // vowels
    "iy", "ih", "eh", "ey", "ae", "aa", "aw", "ay", "ah", "ao", "oy", "ow", "uh", "uw", "ux", "er",
    "ax", "ix", "axr", "ax-h",
    // closures
    "bcl", "dcl", "gcl", "pcl", "tcl", "kcl",
    // pauses, epenthetic silence, begin/end marker
    "pau", "epi", "h#",
  ]

  /// Lee & Hon (1989): every phone not listed maps to itself; `q` (glottal stop) is dropped.
  public static let folding: [String: String] = [
    "ao": "aa",
    "ax": "ah", "ax-h": "ah",
    "axr": "er",
    "hv": "hh",
    "ix": "ih",
    "el": "l",
    "em": "m",
    "en": "n", "nx": "n",
    "eng": "ng",
    "zh": "sh",
    "ux": "uw",
    "bcl": "sil", "dcl": "sil", "gcl": "sil", "pcl": "sil", "tcl": "sil", "kcl": "sil",
    "pau": "sil", "epi": "sil", "h#": "sil",
  ]

  /// Phones removed before folding.
  public static let dropped: Set<String> = ["q"]

  /// The 39 classes, sorted.
  public static let classes: [String] = Array(
    Set(all.filter { !dropped.contains($0) }.map { folding[$0] ?? $0 })
  ).sorted()

  /// The 39-class label of a TIMIT phone; nil for `q` and for anything that is not a TIMIT phone.
  public static func fold(_ phone: String) -> String? {
    let p = phone.lowercased()
    guard !dropped.contains(p), known.contains(p) else { return nil }
    return folding[p] ?? p
  }

  /// Index of `phone`'s class in `classes` (0..<39); nil as for `fold`.
  public static func classIndex(_ phone: String) -> Int? {
    fold(phone).flatMap { classIndices[$0] }
  }

  private static let known = Set(all)
  private static let classIndices: [String: Int] = Dictionary(
    uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
}
