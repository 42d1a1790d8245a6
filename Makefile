# Two commands a new machine needs: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DEMO_DIR ?= custseg-demo
DATASET ?= retail

.PHONY: demo test quick lint bench clean

$(BIN)/custseg: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $@

demo: $(BIN)/custseg
	rm -rf $(DEMO_DIR)
	$(BIN)/custseg demo --dataset $(DATASET) --dir $(DEMO_DIR)

test: $(BIN)/custseg
	$(BIN)/python -m pytest -n auto --dist loadfile

quick: $(BIN)/custseg
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not slow"

lint: $(BIN)/custseg
	$(BIN)/ruff check src tests bench

bench: $(BIN)/custseg
	$(BIN)/python bench/bench_ingest.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) bench/out
