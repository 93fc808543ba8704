# MSP Portal — `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CATALOG := portal/translations/fr/LC_MESSAGES/messages
export FLASK_APP := wsgi

.PHONY: run test install install-dev translations extract-messages lint lock clean

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

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --recursive --severity-level medium portal config.py wsgi.py

clean:
	rm -rf $(VENV) .pytest_cache
