# cdbn: `make demo` trains the default model and draws its bases; `make test` runs the test suite.
SHELL := /bin/bash
SWIFT ?= swift
DEMO_DIR ?= runs/demo
APT_PACKAGES := libopenblas-dev libhdf5-dev libfftw3-dev libpng-dev libjpeg-dev zlib1g-dev pkg-config \
	liblinear-dev libsvm-dev libsndfile1-dev libsamplerate0-dev libopenmpi-dev openmpi-bin \
	python3-h5py python3-numpy

# Release builds are portable, like the README's plain `swift build -c release`: the hot C kernels
# pick AVX2 or AVX-512 at run time, and the rest reaches about 90 % of a build for this machine's own
# CPU. `make release CPU=native` gives that last part, for a binary that may not run on an older CPU.
CPU ?=
RELEASE_FLAGS := $(if $(CPU),-Xswiftc -target-cpu -Xswiftc $(CPU))

.PHONY: deps librosa build release test readme-check test-asan test-tsan fuzz demo bench format clean

# Installs the Debian packages that are missing (sudo when not root).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

# librosa (pinned in .ci/requirements-librosa.txt) for the MFCC comparison test, which is skipped without
# it. pip installs into Debian's /usr/bin/python3 next to its python3-numpy, which is kept as it is; the
# first MFCC call compiles numba's caches (~20 s), done here so the test itself stays fast.
PYTHON := /usr/bin/python3
librosa: deps
	@if ! $(PYTHON) -m pip --version >/dev/null 2>&1; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q python3-pip; \
	fi
	SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	$$SUDO $(PYTHON) -m pip install -q --break-system-packages --root-user-action=ignore \
	  -r .ci/requirements-librosa.txt "numpy==$$($(PYTHON) -c 'import numpy; print(numpy.__version__)')"
	$(PYTHON) -c "import numpy, librosa; librosa.feature.delta(librosa.feature.mfcc(y=numpy.zeros(16000, numpy.float32), sr=16000, n_fft=400, hop_length=160, n_mels=40))"

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release $(RELEASE_FLAGS)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Every command of the README's command block, in order, in a fresh folder, shortened (fewer epochs
# through --set, one CNN epoch, a short bench): the README cannot drift from the tool. CI runs it.
readme-check: release
	Tests/readme/check.sh .build/release

# The whole suite under AddressSanitizer or ThreadSanitizer, each in its own build folder (the CLI
# tests run the instrumented cdbn built beside the tests).
test-asan: deps
	$(SWIFT) build --build-tests --build-path .build/asan -Xswiftc -sanitize=address
	LSAN_OPTIONS=suppressions=$(CURDIR)/.ci/lsan-suppressions.txt \
	  $(SWIFT) test --skip-build --build-path .build/asan

test-tsan: deps
	$(SWIFT) build --build-tests --build-path .build/tsan -Xswiftc -sanitize=thread
	CDBN_SANITIZER=thread $(SWIFT) test --skip-build --build-path .build/tsan

# Every reader under libFuzzer and AddressSanitizer for SECONDS each, from seeds cut from Data/
# (Experiments/fuzz/seeds.py); crashes are written to runs/fuzz/<target>/ and stop that target.
SECONDS ?= 60
FUZZ_TARGETS ?= idx idx-gz mnist-csv png jpeg hdf5-data hdf5-model wav sphere phn audio-csv yaml
# Not -sanitize=fuzzer: libFuzzer's main would clash with the one SwiftPM links; cdbn-fuzz calls
# libFuzzer's driver itself, from the toolchain's no-main library.
FUZZER_LIB = $(shell find "$$(dirname "$$(readlink -f "$$(command -v $(SWIFT))")")/../lib/clang" \
  -name 'libclang_rt.fuzzer_no_main-*.a' | head -1)
fuzz: deps
	$(SWIFT) build --product cdbn-fuzz --build-path .build/fuzz -Xswiftc -sanitize=address \
	  -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp -Xswiftc -DFUZZING \
	  -Xlinker $(FUZZER_LIB) -Xlinker -lstdc++
	rm -rf runs/fuzz/seeds && $(PYTHON) Experiments/fuzz/seeds.py runs/fuzz/seeds
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p runs/fuzz/$$t/corpus; \
	  CDBN_FUZZ_TARGET=$$t LSAN_OPTIONS=suppressions=$(CURDIR)/.ci/lsan-suppressions.txt \
	    .build/fuzz/debug/cdbn-fuzz -max_total_time=$(SECONDS) -rss_limit_mb=4096 \
	    -timeout=20 -artifact_prefix=runs/fuzz/$$t/ runs/fuzz/$$t/corpus runs/fuzz/seeds/$$t \
	    > runs/fuzz/$$t/log 2>&1; \
	  status=$$?; \
	  echo "$$t: exit $$status, $$(grep -E '^(Done|#[0-9]+.*DONE)' runs/fuzz/$$t/log | tail -1)"; \
	done

demo: release
	@rm -f $(DEMO_DIR)/model.h5
	@mkdir -p $(DEMO_DIR)
	@start=$$(date +%s); \
	.build/release/cdbn pretrain --out $(DEMO_DIR)/model.h5 && \
	.build/release/cdbn visualize --force --model $(DEMO_DIR)/model.h5 --layer 1 --out $(DEMO_DIR)/layer1-bases.png && \
	.build/release/cdbn visualize --force --model $(DEMO_DIR)/model.h5 --layer 2 --out $(DEMO_DIR)/layer2-bases.png && \
	echo "demo done in $$(( $$(date +%s) - start )) s: $(DEMO_DIR)/model.h5, $(DEMO_DIR)/layer1-bases.png, $(DEMO_DIR)/layer2-bases.png"

bench: release
	.build/release/cdbn bench

format:
	$(SWIFT) format -i -r Sources Tests Package.swift

clean:
	rm -rf .build runs
