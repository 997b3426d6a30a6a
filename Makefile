# The README's two commands are `make run` and `make test`; everything else is a step of them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(VENV)/bin/rasa
PYBABEL := $(VENV)/bin/pybabel
MODEL   := models/current.tar.gz
REPORTS := reports

# Everything a trained model depends on: retrain only when one of these changed.
TRAINING_INPUTS := config.yml $(shell find bot/domain bot/data -name '*.yml' 2>/dev/null) \
                   bot/language_detector.py bot/intent_classifier.py bot/text_model*.py
PO_FILES := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

# Ours only: the case backend's recipes run with `env -u PYTHONPATH` (its pip would see this
# tree's mina_sidor_assistant.egg-info and report our unmet requirements as its conflicts).
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup run train test lint typecheck unit validate stories nlu-eval e2e \
        i18n-extract i18n-update i18n-compile i18n-check bench-train bench bench-personal \
        bench-smoke chat sms call clean \
        webchat browser web-demo e2e-sqlite e2e-postgresql \
        casebackend-test agentdesk-test integration security audit api-token scale-out scaleout-test conversations

help:
	@echo "make run    set up, train if needed, start the assistant (http://localhost:5005)"
	@echo "make test   the whole test suite"
	@echo "make chat   talk to the running assistant from this terminal"
	@echo "make sms    send SMS to it as Twilio would (the local outbox shows what it sends)"
	@echo "make call   call it as Twilio would: keys for the keypad, a line of text for speech"

$(VENV)/.installed: pyproject.toml requirements.lock scripts/setup-venv.sh
	scripts/setup-venv.sh
	mkdir -p var
	touch $@

# The widget's npm packages and Debian's Chromium for the browser tests.
WEB_INSTALLED := web/node_modules/.package-lock.json
$(WEB_INSTALLED): web/package.json web/package-lock.json scripts/setup-web.sh
	scripts/setup-web.sh
	touch $@

setup: $(VENV)/.installed $(MO_FILES) $(WEB_INSTALLED)
	@scripts/setup-scaleout.sh
	@env -u PYTHONPATH $(MAKE) -s --no-print-directory -C casebackend setup
	@env -u PYTHONPATH $(MAKE) -s --no-print-directory -C agentdesk setup

$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	$(RASA) train --config config.yml --domain bot/domain --data bot/data \
	    --out models --fixed-model-name current
	touch $@

train: $(MODEL)

run: setup $(MODEL)
	@$(PY) scripts/serve.py

chat:
	@$(PY) scripts/chat.py

# SMS and a phone call to the running `make run`, signed as Twilio signs them, on its local
# Twilio account (connectors/local_twilio/); `make sms` also shows the local outbox.
sms:
	@$(PY) scripts/sms.py

call:
	@$(PY) scripts/call.py

# ---- catalogs (Babel) ----
i18n-extract: $(VENV)/.installed
	$(PYBABEL) extract -F locales/babel.cfg -o locales/messages.pot --no-location \
	    --sort-output --project mina-sidor-assistant --version 0.1 --width 100 .

i18n-update: i18n-extract
	$(PYBABEL) update -i locales/messages.pot -d locales --width 100 --ignore-obsolete

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(PYBABEL) compile -i $< -o $@ --statistics

i18n-compile: $(MO_FILES)

# ---- the suite ----
# The stages in order, each with a progress line and the time left (scripts/stages.py); the
# run fails if it changed the git work tree.
TEST_STAGES := lint typecheck unit validate i18n-check stories nlu-eval e2e-sqlite \
               e2e-postgresql conversations webchat browser integration security scaleout-test \
               bench-smoke \
               casebackend-test agentdesk-test
test: setup
	UPDATE_RESULTS=$(UPDATE_RESULTS) $(PY) scripts/stages.py --name test $(TEST_STAGES)
	@echo "All checks passed."

# Measured results and the README's screenshots are committed; the suite's own runs write them
# to reports/ only, so `git status` stays clean. UPDATE_RESULTS=yes (on `make scaleout-test` or
# `make browser`) writes the committed ones on purpose; `make bench` always does.
UPDATE_RESULTS ?= no
COMMITTED := $(filter yes,$(UPDATE_RESULTS))

webchat: setup $(MODEL)
	$(PY) -m pytest tests/web -q

browser: setup $(MODEL)
	cd web && README_SCREENSHOTS=$(if $(COMMITTED),$(CURDIR)/docs/screenshots) npm test

web-demo: setup $(MODEL)
	$(PY) -m tests.web.stack --port $${RASA_PORT:-5005} --until-signal

casebackend-test:
	env -u PYTHONPATH $(MAKE) -C casebackend test

agentdesk-test:
	env -u PYTHONPATH $(MAKE) -C agentdesk test

# Two Rasa replicas, two action servers, two case backends behind nginx, on the machine's
# PostgreSQL (database mina_scaleout) and Redis; docs/scale-out.md.
scale-out: setup $(MODEL)
	$(PY) -m deploy.stack --replicas $${REPLICAS:-2}

# Concurrency over both replicas and the faults (replica killed, PostgreSQL restarted, Redis
# cut, backends down) on private PostgreSQL and Redis servers; results in
# reports/scaleout/faults.json (benchmarks/results/faults.json with UPDATE_RESULTS=yes).
scaleout-test: setup $(MODEL)
	FAULTS_RESULTS=$(if $(COMMITTED),benchmarks/results,$(REPORTS)/scaleout)/faults.json \
	    $(PY) -m pytest tests/scaleout -q

# Shared state across replicas, against the machine's Redis (127.0.0.1:6379, or
# ASSISTANT_TEST_REDIS_URL); every test uses its own key prefix.
integration: setup
	$(PY) -m pytest tests/integration -q

# The attack suite (docs/security.md): each test tries one attack, against the running
# processes where the attack is on the running system; every one must fail.
security: setup $(MODEL)
	$(PY) -m pytest tests/security -q

# Known vulnerabilities in the pinned dependencies (needs PyPI's JSON API; docs/security.md).
audit:
	scripts/audit.sh

# A short-lived token for Rasa's HTTP API (behind JWT; docs/operations.md).
api-token: $(VENV)/.installed
	$(PY) scripts/api_token.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

unit: setup
	$(PY) -m pytest tests/unit -q

i18n-check: setup
	$(PY) -m pytest tests/i18n -q

validate: $(VENV)/.installed
	$(RASA) data validate --config config.yml --domain bot/domain --data bot/data --fail-on-warnings

# The corpus' channel-independent openings (tests/conversations/corpus_stories.yml, written by
# `python -m tests.conversations.stories`) beside the hand-written test stories.
stories: $(MODEL)
	$(PY) -m tests.conversations.stories --check
	rm -rf $(REPORTS)/stories
	$(RASA) test core --model $(MODEL) --stories tests/conversations \
	    --endpoints bot/endpoints.yml --out $(REPORTS)/stories --fail-on-prediction-errors

nlu-eval: setup
	$(PY) tests/evaluation/nlu_heldout.py --out $(REPORTS)/nlu

# The corpus of whole conversations (tests/conversations/corpus/*.yml) played on REST, SMS,
# phone and web chat through the real processes; prints the pass count per channel.
conversations: setup $(MODEL)
	$(PY) -m pytest tests/conversations -q

# The end-to-end suite twice: on the embedded default's SQLite tracker store, then on the
# machine's PostgreSQL (a fresh database per run), so the personal-data scans cover both.
e2e: e2e-sqlite e2e-postgresql

e2e-sqlite: setup $(MODEL)
	$(PY) -m pytest tests/e2e -q

e2e-postgresql: setup $(MODEL)
	E2E_TRACKER_STORE=postgresql $(PY) -m pytest tests/e2e -q

bench-train: setup
	$(PY) benchmarks/training.py

# The benchmark suite: every channel beside a bare Rasa REST baseline, saturation, open loop,
# turn 1 against turn 200 (SQLite and PostgreSQL), memory, model load, two replicas against
# one, personal turns against FAQ turns (docs/benchmarks.md). Writes
# benchmarks/results/suite.json and suite.png.
bench: setup $(MODEL)
	$(PY) benchmarks/run.py

# The personal turns alone (about 4 minutes): their section of suite.json.
bench-personal: setup $(MODEL)
	$(PY) benchmarks/run.py --only personal

# The same harness with tiny numbers: every channel must answer right (part of `make test`).
bench-smoke: setup $(MODEL)
	$(PY) -m pytest tests/bench -q

clean:
	rm -rf models $(REPORTS) var/*.db locales/*/LC_MESSAGES/*.mo
