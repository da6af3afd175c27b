/// The standard speaker lists of TIMIT experiments, as data.
public enum TIMITSpeakers {
  /// The 24-speaker core test set (TIMIT's testset.doc, table 1: two men and one woman per dialect
  /// region), speaker folder names as in the LDC corpus.
  public static let coreTest: [String] = [
    "MDAB0", "MWBT0", "FELC0",  // DR1
    "MTAS1", "MWEW0", "FPAS0",  // DR2
    "MJMP0", "MLNT0", "FPKT0",  // DR3
    "MLLL0", "MTLS0", "FJLM0",  // DR4
    "MBPM0", "MKLT0", "FNLP0",  // DR5
    "MCMJ0", "MJDH0", "FMGD0",  // DR6
    "MGRT0", "MNJM0", "FDHC0",  // DR7
    "MJLN0", "MPAM0", "FMLD0",  // DR8
  ]

  /// The 50-speaker development set used with the core test set (Halberstadt 1998; the list in
  /// Kaldi's egs/timit/s5/conf/dev_spk.list), taken from the complete test set.
  public static let development: [String] = [
    "FAKS0", "FDAC1", "FJEM0", "MGWT0", "MJAR0", "MMDB1", "MMDM2", "MPDF0", "FCMH0", "FKMS0",
    "MBDG0", "MBWM0", "MCSH0", "FADG0", "FDMS0", "FEDW0", "MGJF0", "MGLB0", "MRTK0", "MTAA0",
    "MTDT0", "MTHC0", "MWJG0", "FNMR0", "FREW0", "FSEM0", "MBNS0", "MMJR0", "MDLS0", "MDLF0",
    "MDVC0", "MERS0", "FMAH0", "FDRW0", "MRCS0", "MRJM4", "FCAL1", "MMWH0", "FJSJ0", "MAJC0",
    "MJSW0", "MREB0", "FGJD0", "FJMG0", "MROA0", "MTEB0", "MJFC0", "MRJR0", "FMML0", "MRWS1",
  ]
}
