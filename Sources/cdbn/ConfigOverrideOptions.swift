import ArgumentParser

/// `--set key.path=value` (repeatable), shared by the commands that read a YAML config (pretrain and
/// train-cnn store the config that ran in their model; classify applies it to --cnn-config).
struct ConfigOverrideOptions: ParsableArguments {
  @Option(
    name: .customLong("set"),
    help: ArgumentHelp(
      "Override a config key, like training.epochs=20 or layers.1.sparsity_target=0.02 (repeatable; the value is YAML, a number in the path indexes a list).",
      valueName: "key.path=value"))
  var values: [String] = []
}
