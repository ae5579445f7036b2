# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
THREADS ?= 2
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test demo bench lint translations update-translations chromium servers clean

run: $(VENV)/.installed translations
	$(BIN)/flask --app app init-db
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C stops the web server and the task consumer)"
	@$(BIN)/flask --app app serve --host=$(HOST) --port=$(PORT) --threads=$(THREADS)

# Every test twice: on SQLite (the one box), then on PostgreSQL with huey on Redis (a dealer
# group), both servers throwaway ones on loopback, stopped at the end however the run ends.
test: $(VENV)/.dev-installed translations chromium servers
	$(BIN)/ruff check .
	$(BIN)/pytest -q
	@echo "== the same tests on PostgreSQL, with huey's queue in Redis =="
	@dir=$$(mktemp -d /tmp/complaints-servers.XXXXXX) && trap 'tests/servers.sh stop '"$$dir" EXIT && \
	  env $$(tests/servers.sh start "$$dir") $(BIN)/pytest -q

demo: $(VENV)/.installed translations
	$(BIN)/flask --app app init-db
	$(BIN)/flask --app app seed-demo

bench: $(VENV)/.installed translations
	$(BIN)/python bench.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

$(VENV)/.installed: requirements.txt requirements-server.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-server.txt
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

servers:
	@{ ls /usr/lib/postgresql/*/bin/initdb && command -v redis-server; } >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq --no-install-recommends postgresql redis-server >/dev/null; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
