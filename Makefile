# MSP Portal — `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CATALOG := portal/translations/fr/LC_MESSAGES/messages
export FLASK_APP := wsgi

.PHONY: run test install install-dev translations extract-messages lint lock clean bench

run: install $(CATALOG).mo
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	$(BIN)/flask dev serve

test: install-dev $(CATALOG).mo
	$(BIN)/pytest

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(CATALOG).mo: $(CATALOG).po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d portal/translations -D messages

# After changing user-facing strings: refresh the catalog, then translate the new French entries.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o portal/translations/messages.pot --no-wrap .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations \
		--no-fuzzy-matching --ignore-obsolete --no-wrap

# Re-pin requirements*.txt (whole tree, with hashes) after changing requirements*.in.
PIP_COMPILE := pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links
lock:
	test -x .venv-tools/bin/pip-compile || ($(PYTHON) -m venv .venv-tools && \
		.venv-tools/bin/pip install --quiet pip-tools==7.6.2)
	.venv-tools/bin/$(PIP_COMPILE) --output-file requirements.txt requirements.in
	.venv-tools/bin/$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# The benchmark of docs/performance.md: loads the synthetic program (once; drop the database to
# reload), then measures every page (demo and full size), a send while SMTP hangs, and gunicorn
# under wrk (`apt-get install wrk redis-server`). On SQLite: BENCH_SCALE=tenth
# BENCH_DATABASE_URL=sqlite:///$(CURDIR)/instance/bench.db BENCH_DEMO_DATABASE_URL=sqlite:///...
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/msp_bench
BENCH_DEMO_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/msp_bench_demo
BENCH_SCALE ?= full
BENCH_RESULTS ?= instance/bench
bench: install $(CATALOG).mo
	$(BIN)/flask bench load --scale $(BENCH_SCALE) --database $(BENCH_DATABASE_URL)
	$(BIN)/flask bench pages --database $(BENCH_DATABASE_URL) \
		--demo-database $(BENCH_DEMO_DATABASE_URL) --markdown $(BENCH_RESULTS)
	$(BIN)/flask bench smtp-hang --database $(BENCH_DATABASE_URL) --markdown $(BENCH_RESULTS)
	$(BIN)/flask bench load-test --database $(BENCH_DATABASE_URL) --markdown $(BENCH_RESULTS)
	$(BIN)/flask bench register --database $(BENCH_DATABASE_URL) --markdown $(BENCH_RESULTS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --recursive --severity-level medium portal config.py wsgi.py

clean:
	rm -rf $(VENV) .pytest_cache
