# Two commands set up everything on a fresh machine:
#   make demo   venv + install + the Figure 2 reproduction and its report in runs/demo/
#   make test   venv + install (with the transformer, metrics, ray, bell and docs extras),
#               chromium where missing (root), then ruff, the import layers, the test suite
#               and the docs site (`mkdocs build --strict`)
#   make docs   venv + the docs extra, then the docs site (mkdocs.yml, docs/) into site/
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# PyTorch: constraints.txt pins torch==2.13.0. Where pip finds that pin offline (a local wheel
# directory, as on these machines) it installs from there; elsewhere the pin is taken from the
# public PyTorch CPU index, because PyPI's own torch wheel for Linux is the CUDA build (about
# 500 MB plus the CUDA stack). Override with `make TORCH_INDEX=... test`, or TORCH_INDEX= to
# take whatever your pip configuration gives.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
TORCH_FROM = $$($(BIN)/python -m pip install --dry-run --quiet --no-index --no-deps \
	torch==2.13.0 >/dev/null 2>&1 || { [ -n "$(TORCH_INDEX)" ] && \
	echo --extra-index-url $(TORCH_INDEX); })
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt
BASE_STAMP := $(VENV)/.installed-base
FULL_STAMP := $(VENV)/.installed-full
DOCS_STAMP := $(VENV)/.installed-docs
# The build reads the sources statically and fetches nothing; the variable silences
# Material's banner about MkDocs 2.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

.PHONY: demo test docs lint bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BASE_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) $(TORCH_FROM) -e '.[dev]'
	touch $@

$(FULL_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) $(TORCH_FROM) -e '.[dev,lora,metrics,ray,bell,docs]'
	touch $@ $(BASE_STAMP) $(DOCS_STAMP)

# The docs extra (mkdocs, Material, mkdocstrings) on top of whatever is installed already.
$(DOCS_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) $(TORCH_FROM) -e '.[docs]'
	touch $@

demo: $(BASE_STAMP)
	$(BIN)/ncnet toy --hidden 2,3,4 --runs 50 --epochs 5000 --out runs/demo

# The report's browser test opens it in Debian's chromium: install it where we may (as root,
# as CI runs). Elsewhere that test skips, except under CI=true, where it fails.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	    >/dev/null) || echo "warning: apt-get could not install chromium" >&2; \
	else echo "note: chromium is not installed; the browser test will skip" >&2; fi

# The docs build runs before pytest so that pytest's summary is the last thing printed.
test: $(FULL_STAMP) $(DOCS_STAMP) browser
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports
	$(MKDOCS) --quiet
	$(BIN)/python -m pytest -q

docs: $(DOCS_STAMP)
	$(MKDOCS)

bench: $(BASE_STAMP)
	$(BIN)/ncnet bench toy

clean:
	rm -rf $(VENV) runs .pytest_cache site
