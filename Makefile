# The commands a newcomer needs (each sets up .venv on first use):
#   make train  the main job: `chainrule train` on the default config (a small CNN on digits)
#   make demo   a two-layer network learns XOR with chainrule's autograd and SGD, in plain Python
#   make test   the whole test suite, with PyTorch (CPU build) as the reference oracle
#   make fuzz   random programs run in chainrule and PyTorch, every difference reported
#               (make fuzz SEED=1 PROGRAMS=20000; report in /tmp/chainrule-fuzz-seed<SEED>.md)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

SEED ?= 0
PROGRAMS ?= 20000
FUZZ_REPORT ?= /tmp/chainrule-fuzz-seed$(SEED).md

.PHONY: train demo test bench fuzz clean

train: $(VENV)/.installed-cli
	$(BIN)/chainrule train

demo: $(VENV)/.installed
	$(BIN)/python examples/xor.py

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

fuzz: $(VENV)/.installed-test
	$(BIN)/python -m tests.fuzz --seed $(SEED) --programs $(PROGRAMS) --out $(FUZZ_REPORT)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-cli: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[cli]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
