# Every target installs what it needs first: on a fresh clone `make run` and `make test` are enough.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# jsii (under aws-cdk-lib) warns at length about Node 20; the CDK works with it.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20  # the Node major version(s) to stay quiet about
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export PYTHONDONTWRITEBYTECODE := 1

FN ?= api
EVENT ?= events/api/post_order.json
CDK := npx --yes aws-cdk@2.1148
# The browser tests, make screenshots and make bench drive Debian's Chromium with Playwright (never
# Playwright's own browser download). Installed when missing; sudo when not root.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help install run test lint format typecheck unit integration infra e2e synth bench invoke \
	keys-create keys-list keys-revoke redrive import export recount deploy diff clean \
	chromium screenshots

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install everything (run by every other target)

run: $(STAMP) ## Start the local stack: AWS endpoint :4566, API :3000 (Ctrl-C stops it)
	$(PY) -m infra.local

test: lint typecheck chromium ## Lint, type check and run every test layer (the browser tests too)
	$(PY) -m pytest

lint: $(STAMP) ## ruff: lint and formatting check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP) ## ruff: fix what can be fixed and format
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

typecheck: $(STAMP) ## mypy over shared, functions, infra and the tests with fakes of store Protocols
	$(PY) -m mypy

unit integration infra e2e: $(STAMP) ## Run one test layer (make unit, make e2e, ...)
	$(PY) -m pytest tests/$@

e2e: chromium

chromium: ## Install Debian's chromium and chromium-driver when /usr/bin/chromium is missing
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		chromium chromium-driver; }

screenshots: $(STAMP) chromium ## PNG of every console page at 1280 and 768 px into screenshots/ (own local stack)
	$(PY) -m tests.e2e.screenshots

synth: $(STAMP) ## Synthesise the CDK app into cdk.out (cdk-nag runs on every synth)
	$(PY) -m infra.app

bench: $(STAMP) chromium ## Measure DynamoDB requests per order, cold start, handler time, the console
	$(PY) -m tests.bench

invoke: $(STAMP) ## Invoke a function with a sample event against the local stack: make invoke FN=api EVENT=events/api/post_order.json
	$(PY) -m infra.invoke $(FN) $(EVENT)

keys-create: $(STAMP) ## Create an API key: make keys-create ROLE=channel CHANNEL=web NAME=shopify
	$(PY) -m infra.keys create --role $(ROLE) $(if $(CHANNEL),--channel $(CHANNEL)) --name "$(or $(NAME),$(ROLE))"

keys-list: $(STAMP) ## List API keys (ids, roles, channels; never the keys)
	$(PY) -m infra.keys list

keys-revoke: $(STAMP) ## Revoke an API key by id: make keys-revoke KEY_ID=1a2b3c4d5e6f
	$(PY) -m infra.keys revoke $(KEY_ID)

redrive: $(STAMP) ## Redrive dead letters to their source queue: make redrive QUEUE=marketplace-orders [ID="id1 id2"] (ARGS=--aws for AWS)
	$(VENV)/bin/oms redrive $(QUEUE) $(if $(ID),$(foreach id,$(ID),--id $(id)),--all) $(ARGS)

import: $(STAMP) ## Import a file into the local stack: make import FILE=orders.csv FORMAT=shopify-orders [ARGS="--dry-run"]
	$(VENV)/bin/oms import "$(FILE)" --format $(FORMAT) $(ARGS)

export: $(STAMP) ## Export everything from the local stack into a directory: make export DIR=out [ARGS="--what orders"]
	$(VENV)/bin/oms export "$(DIR)" $(ARGS)

recount: $(STAMP) ## Rebuild the daily sales counters from the orders: make recount FROM=2026-01-01 TO=2026-01-31
	$(VENV)/bin/oms recount --from $(FROM) --to $(TO) $(ARGS)

# STAGE=staging: another copy of the stack (OmsStack-staging, every name it chooses stage-named). Only
# prod sets API Gateway's account-wide logging role unless API_GATEWAY_ACCOUNT_ROLE=true (a stage alone in
# its account). ALARM_EMAIL=ops@example.com subscribes an address to the alarms; RESERVED_CONCURRENCY=true
# reserves the spec's concurrency (not in a new account: its quota of 10 refuses any reservation).
STAGE ?= prod
API_GATEWAY_ACCOUNT_ROLE ?= $(if $(filter prod,$(STAGE)),true,false)
CDK_CONTEXT = -c stage=$(STAGE) -c api_gateway_account_role=$(API_GATEWAY_ACCOUNT_ROLE) \
	$(if $(TIMEZONE),-c timezone=$(TIMEZONE)) $(if $(ALARM_EMAIL),-c alarm_email=$(ALARM_EMAIL)) \
	$(if $(RESERVED_CONCURRENCY),-c reserved_concurrency=$(RESERVED_CONCURRENCY)) \
	$(if $(CURRENCY),-c currency=$(CURRENCY))

diff: $(STAMP) ## cdk diff against the account in your AWS credentials (STAGE=staging: that stage)
	$(CDK) diff $(CDK_CONTEXT)

deploy: $(STAMP) ## cdk deploy (STAGE=staging: a second stage; TIMEZONE=Europe/Berlin: the business time zone)
	$(CDK) deploy $(CDK_CONTEXT)

clean: ## Remove build output (keeps .venv)
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
