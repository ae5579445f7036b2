# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
THREADS ?= 8
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test demo bench lint translations update-translations chromium clean

run: $(VENV)/.installed translations
	$(BIN)/flask --app app init-db
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C stops the web server and the task consumer)"
	@$(BIN)/flask --app app serve --host=$(HOST) --port=$(PORT) --threads=$(THREADS)

test: $(VENV)/.dev-installed translations chromium
	$(BIN)/ruff check .
	$(BIN)/pytest -q

demo: $(VENV)/.installed translations
	$(BIN)/flask --app app init-db
	$(BIN)/flask --app app seed-demo

bench: $(VENV)/.installed translations
	$(BIN)/python bench.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Catalogs are compiled, not committed compiled, so a clone always shows what the .po says.
translations: $(VENV)/.installed
	@$(BIN)/pybabel -q compile -d translations

# After changing user-visible strings: extract, then merge into both catalogs.
update-translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --sort-output --no-wrap .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --no-wrap

# Browser tests drive Debian's chromium; nothing is downloaded by Playwright. A Chinese
# font, so the screenshots under docs/ show Chinese rather than empty boxes.
chromium:
	@{ command -v chromium && dpkg -s fonts-wqy-zenhei; } >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >/dev/null; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
