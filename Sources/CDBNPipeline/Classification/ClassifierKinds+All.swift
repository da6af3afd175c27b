import CDBNClassifiers
import CDBNConvNet

extension ClassifierKinds {
  /// Every classifier kind of the toolkit: the SVMs and softmax of CDBNClassifiers, and the CNN,
  /// which is made from its config (`Classification.cnnConfig`), not from its name.
  public static let all = ClassifierKinds.standard.adding(ConvNetClassifier.self, kind: .cnn)
}
