// swift-tools-version:6.0
import PackageDescription

/// Portable maths (exp, log, pow, ...) for the numeric modules, instead of the C library of one platform.
let realModule: Target.Dependency = .product(name: "RealModule", package: "swift-numerics")

let package = Package(
  name: "cdbn",
  products: [
    .executable(name: "cdbn", targets: ["cdbn"]),
    .library(name: "CDBNNumerics", targets: ["CDBNNumerics"]),
    .library(name: "CDBNStorage", targets: ["CDBNStorage"]),
    .library(name: "CDBNDatasets", targets: ["CDBNDatasets"]),
    .library(name: "CDBNModels", targets: ["CDBNModels"]),
    .library(name: "CDBNPipeline", targets: ["CDBNPipeline"]),
    .library(name: "CDBNClassifiers", targets: ["CDBNClassifiers"]),
    .library(name: "CDBNConvNet", targets: ["CDBNConvNet"]),
    .library(name: "CDBNAudio", targets: ["CDBNAudio"]),
    .library(name: "CDBNBenchmarks", targets: ["CDBNBenchmarks"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
  ],
  targets: [
    // C libraries from Debian, seen only through these targets and one internal Swift file each.
    .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
    .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
    .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
    .systemLibrary(
      name: "CSamplerate", pkgConfig: "samplerate", providers: [.apt(["libsamplerate0-dev"])]),
    // Debian's LIBLINEAR and LIBSVM have no pkg-config file: headers in /usr/include, linked by name.
    .systemLibrary(name: "CLinear", providers: [.apt(["liblinear-dev"])]),
    .systemLibrary(
      name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
    .systemLibrary(name: "CSVM", providers: [.apt(["libsvm-dev"])]),

    // Hot kernels compiled per x86 instruction set, chosen at run time (see its header).
    .target(name: "CDBNKernels"),
    .target(name: "CDBNNumerics", dependencies: ["CBLAS", "CFFTW", "CDBNKernels", realModule]),
    .target(name: "CDBNStorage", dependencies: ["CHDF5"]),
    // MPI's world for runs under `mpirun`; only the CLI sees it.
    .target(name: "CDBNDistributed", dependencies: ["CDBNNumerics", "CMPI"]),
    .target(
      name: "CDBNDatasets",
      dependencies: ["CDBNNumerics", "CDBNStorage", "CZlib", "CPNG", "CJPEG"]),
    .target(
      name: "CDBNModels", dependencies: ["CDBNNumerics", "CDBNStorage", "CDBNKernels", realModule]),
    .target(
      name: "CDBNConvNet",
      dependencies: ["CDBNNumerics", "CDBNStorage", "CDBNClassifiers", realModule]),
    .target(
      name: "CDBNClassifiers",
      dependencies: ["CDBNNumerics", "CDBNStorage", "CLinear", "CSVM", realModule]),
    .target(
      name: "CDBNAudio",
      dependencies: [
        "CDBNNumerics", "CDBNStorage", "CDBNDatasets", "CDBNModels", "CSndfile", "CSamplerate",
      ]),
    .target(
      name: "CDBNPipeline",
      dependencies: [
        "CDBNNumerics", "CDBNStorage", "CDBNDatasets", "CDBNModels", "CDBNClassifiers",
        "CDBNConvNet", "CDBNAudio", .product(name: "Yams", package: "Yams"),
      ]),
    .target(
      name: "CDBNBenchmarks",
      dependencies: [
        "CDBNNumerics", "CDBNStorage", "CDBNDatasets", "CDBNModels", "CDBNClassifiers",
        "CDBNConvNet", "CDBNAudio",
      ]),
    .executableTarget(
      name: "cdbn",
      dependencies: [
        "CDBNPipeline", "CDBNBenchmarks", "CDBNAudio", "CDBNClassifiers", "CDBNConvNet",
        "CDBNNumerics", "CDBNDatasets", "CDBNDistributed", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // What the test targets share: temporary folders, running programs, the system python.
    .target(name: "CDBNTestSupport", dependencies: ["CDBNStorage"], path: "Tests/CDBNTestSupport"),
    // libFuzzer harnesses for every reader (`make fuzz`); a plain build gives a stub that says so.
    .executableTarget(
      name: "cdbn-fuzz", dependencies: ["CDBNDatasets", "CDBNAudio", "CDBNPipeline"]),
    .testTarget(name: "CDBNNumericsTests", dependencies: ["CDBNNumerics"]),
    .testTarget(
      name: "CDBNStorageTests",
      dependencies: [
        "CDBNTestSupport", "CDBNStorage",
      ]),
    .testTarget(
      name: "CDBNDatasetsTests",
      dependencies: [
        "CDBNTestSupport", "CDBNDatasets", "CDBNNumerics", "CDBNStorage",
      ]),
    .testTarget(
      name: "CDBNModelsTests",
      dependencies: [
        "CDBNTestSupport", "CDBNModels", "CDBNNumerics", "CDBNStorage",
      ]),
    .testTarget(
      name: "CDBNConvNetTests",
      dependencies: [
        "CDBNTestSupport", "CDBNConvNet", "CDBNClassifiers", "CDBNNumerics", "CDBNStorage",
      ]),
    .testTarget(
      name: "CDBNPipelineTests",
      dependencies: [
        "CDBNTestSupport",
        "CDBNPipeline", "CDBNModels", "CDBNNumerics", "CDBNStorage", "CDBNDatasets", "CDBNAudio",
        "CDBNClassifiers", "CDBNConvNet",
      ]),
    .testTarget(
      name: "CDBNClassifiersTests",
      dependencies: [
        "CDBNTestSupport", "CDBNClassifiers", "CDBNNumerics", "CDBNStorage",
      ]),
    .testTarget(
      name: "CDBNAudioTests",
      dependencies: [
        "CDBNTestSupport", "CDBNAudio", "CDBNNumerics", "CDBNStorage", "CDBNDatasets",
      ]),
  ]
)
