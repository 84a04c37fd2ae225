# SwiftGAN — the two commands of the README, and a few more.
.PHONY: deps build train test bench compare fixtures

# Debian packages the build links against (run as root, or with sudo).
deps:
	@command -v apt-get >/dev/null && { dpkg -s libopenblas-dev libdnnl-dev zlib1g-dev libpng-dev pkg-config >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev libdnnl-dev zlib1g-dev libpng-dev pkg-config; }; } || true

build: deps
	swift build -c release

# The main job: DCGAN on MNIST (data downloaded once into ~/.cache/swiftgan/data, or $$GAN_DATA_DIR).
train: deps
	swift run -c release gan train --dataset mnist --model dcgan --out runs/dcgan

# The whole test suite, optimised (the numeric tests train real models; -enable-testing keeps
# @testable imports working). Reads MNIST from ../shared/data/mnist or $$GAN_TEST_MNIST_DIR.
test: deps
	swift test -c release -Xswiftc -enable-testing

# Kernel figures as JSON lines (release build).
bench: deps
	swift run -c release gan-bench kernels

# The benchmarks.md workloads beside PyTorch, alternating, with ratios (needs `pip install torch numpy`).
compare: deps
	bench/compare.sh 3

# Regenerates the PyTorch golden fixtures (needs `pip install torch numpy`).
fixtures:
	python3 tools/make_fixtures.py
