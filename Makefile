# The two commands of the README: `make demo` and `make test`. Everything else is set-up or the
# team workflow (`make plan`, `make deploy`), each a thin call into the project's own modules.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
PYTHON ?= python3
# The interpreter the venv is made from, found on the caller's PATH now: the PATH exported below puts
# the venv first, where a later `python3` would be the venv's own (without pipenv).
HOST_PYTHON := $(shell command -v $(PYTHON) 2>/dev/null || echo $(PYTHON))
VENV_PY := $(ROOT)/.venv/bin/python
# Which stacks deploy/destroy/plan act on: '*' (every sandbox) or names and patterns, e.g.
# STACKS="s3-dev* s3-stage*" (every stack of sandboxes dev and stage, however many hold them).
STACKS ?= *
STACK_ARGS = $(foreach stack,$(STACKS),'$(stack)')
# The CDK framework: cdktf (CDKTF 0.21, the default) or cdktn (CDK Terrain, its maintained continuation).
CDK ?= cdktf
$(if $(filter-out cdktf cdktn,$(CDK)),$(error CDK must be cdktf or cdktn, not '$(CDK)'))
export CDK
PORT ?= 8750
DATA ?= $(ROOT)/.local-aep-data
RUN := $(ROOT)/.run
PIPENV_VERSION := 2026.10.3

# The index pip itself is configured with, or pip's own default: no registry host is written here.
PIPENV_INDEX_URL ?= $(shell $(HOST_PYTHON) -m pip config get global.index-url 2>/dev/null || $(HOST_PYTHON) -c 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)')
export PIPENV_INDEX_URL
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_NOSPIN := 1
export PIPENV_YES := 1
export PIPENV_VERBOSITY := -1
# Terraform and cdktf: the project's own CLI config (mirror for our provider), nothing calls home,
# and nothing ever waits for terminal input (a missing variable fails at once, naming it).
export TF_CLI_CONFIG_FILE := $(ROOT)/.tf/cli.tfrc
export TF_INPUT := 0
export CHECKPOINT_DISABLE := 1
export DISABLE_VERSION_CHECK := 1
export CDKTF_DISABLE_PLUGIN_CACHE_ENV := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# The chosen framework's CLI first on the PATH (for cdktn, with the Node 22 it needs), then the
# venv: the CLI asks `python3 --version` on every command, and a version manager's shim answers
# that in a second where the venv's interpreter takes milliseconds.
ifeq ($(CDK),cdktn)
export PATH := $(ROOT)/cdktn-cli/node_modules/.bin:$(ROOT)/node_modules/.bin:$(ROOT)/.venv/bin:$(PATH)
else
export PATH := $(ROOT)/node_modules/.bin:$(ROOT)/.venv/bin:$(PATH)
endif

# Terraform in every chosen stack at once, within one bound of Flow Service calls in flight
# (AEP_MAX_IN_FLIGHT, default 10), after synthesizing main.py with the chosen framework.
STACKS_RUN = $(VENV_PY) -m toolchain.stacks

.PHONY: help setup lock deploy destroy rebalance migrate forget plan demo test test-unit test-e2e test-cdktn lint docs local-aep \
	local-aep-start local-aep-stop bench clean

help:
	@echo "make demo         set up, start the local AEP, deploy every sandbox of main.py to it"
	@echo "make test         set up and run the whole test suite"
	@echo "make test-unit    the fast tests only (no terraform, no cdktf); make test-e2e the rest"
	@echo "make test-cdktn   the framework tests again on CDK Terrain (CDK=cdktn); any target takes CDK=cdktn"
	@echo "make lint         ruff and mypy --strict"
	@echo "scripts/plan      plan every stack; write plan.md (for review) and plan.json; exit 0 none, 2 changes, 1 error"
	@echo "make plan         the same plan; exit 0 when it was made (changes or not), 2 when it failed"
	@echo "make deploy       deploy STACKS (default '*') with your own AEP_* and TF_VAR_* settings (e.g. real AEP)"
	@echo "make destroy      destroy STACKS"
	@echo "make forget       STACKS=...: stop managing stacks main.py no longer declares (objects stay; no call to AEP)"
	@echo "make migrate      once after upgrading from 0.1.0: rename every stack's state entries (no call to AEP)"
	@echo "make rebalance    even out every sandbox's stacks (BOUND=n for a new bound), moving state, not objects"
	@echo "make local-aep  run the local AEP in the foreground (PORT=$(PORT) DATA=$(DATA))"
	@echo "make local-aep-stop  stop the one 'make demo' started"
	@echo "make bench        write benchmark figures to BENCHMARKS.md and benchmarks/results/"

setup: .stamps/prereqs .stamps/venv .stamps/node .stamps/provider $(if $(filter cdktn,$(CDK)),.stamps/cdktn)

.stamps/prereqs: scripts/check-prereqs
	@scripts/check-prereqs
	@mkdir -p .stamps && touch $@

.stamps/pipenv: .stamps/prereqs
	@$(HOST_PYTHON) -m pipenv --version >/dev/null 2>&1 || $(HOST_PYTHON) -m pip install --quiet "pipenv==$(PIPENV_VERSION)"
	@touch $@

# Installs the project itself (editable) with every pinned dependency of Pipfile.lock.
.stamps/venv: Pipfile.lock pyproject.toml .stamps/pipenv
	$(HOST_PYTHON) -m pipenv sync --dev
	@touch $@

.stamps/node: package-lock.json .stamps/prereqs
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Only when CDK=cdktn: CDK Terrain's CLI and a project-local Node 22 (npm's `node` package), pinned.
.stamps/cdktn: cdktn-cli/package-lock.json .stamps/prereqs
	npm ci --prefix cdktn-cli --no-audit --no-fund --loglevel=error
	@scripts/check-cdktn
	@touch $@

.stamps/provider: .stamps/venv toolchain/mirror.py
	$(VENV_PY) -m toolchain.mirror --out $(ROOT)/.tf
	@touch $@

# Every stack's .terraform.lock.hcl, made from the mirror: `cdktf deploy` would otherwise run
# `terraform providers lock` against the registry, which fails offline. Synthesizing first also
# stops here, with one clean block per problem, when main.py's declarations break a rule.
lock: setup
	@$(VENV_PY) -m toolchain.lock --project $(ROOT)

# Deploy with the caller's own settings (AEP_* and TF_VAR_*), e.g. against real AEP. Checks every
# setting first; Ctrl-C lets Terraform finish what is in flight and save state.
deploy: lock
	@$(VENV_PY) -m toolchain.preflight --project $(ROOT) $(STACK_ARGS)
	$(STACKS_RUN) apply --project $(ROOT) $(STACK_ARGS)

destroy: lock
	$(STACKS_RUN) destroy --project $(ROOT) $(STACK_ARGS)

# Stop managing stacks main.py no longer declares (a removed sandbox): their objects stay in AEP, their
# state moves aside; no call to AEP. `make destroy STACKS=...` deletes them instead.
forget: lock
	$(VENV_PY) -m toolchain.states forget --project $(ROOT) $(STACK_ARGS)

# Even out every sandbox's stacks under BOUND (default: main.py's), moving state only: no call to
# AEP. Commit placement.json afterwards (and set the new bound in main.py).
BOUND ?=
rebalance: lock
	$(VENV_PY) -m toolchain.rebalance --project $(ROOT) $(if $(BOUND),--bound $(BOUND))

# Once, after upgrading from release 0.1.0: every stack's state moves to 0.2.0's provider and
# type names (state pull/push, no call to AEP), and make demo's local AEP to its new data folder.
migrate: lock
	$(VENV_PY) -m toolchain.migrate --project $(ROOT) $(STACK_ARGS)

# make turns every failing recipe into exit 2, so through make "changes" and "error" would look the
# same: here a plan that was made exits 0 (changes or not) and only a failure fails. scripts/plan
# runs this target and exits 0 (no changes), 2 (changes) or 1 (error), as the plan status file says.
PLAN_STATUS_FILE ?= $(RUN)/plan.status
# It synthesizes and locks itself (not through `lock`), so a refused main.py is reported in plan.md
# too: a plan file is always this run's, never an earlier one.
plan: setup
	@mkdir -p $(dir $(PLAN_STATUS_FILE))
	$(VENV_PY) -m toolchain.plan --synth --project $(ROOT) --out $(ROOT)/plan.md --json $(ROOT)/plan.json \
		--comment $(ROOT)/plan-comment.md --status-file $(PLAN_STATUS_FILE) $(STACK_ARGS)

LOCAL_AEP_ARGS ?=
local-aep: .stamps/venv
	$(VENV_PY) -m aep_local --host 127.0.0.1 --port $(PORT) --data $(DATA) \
		--sandboxes $$($(VENV_PY) -m toolchain.sandboxes) \
		$(if $(findstring --s3-endpoint,$(LOCAL_AEP_ARGS)),,--local-s3) $(LOCAL_AEP_ARGS)

local-aep-start: .stamps/venv
	@$(VENV_PY) scripts/local-aep-daemon start --port $(PORT) --data $(DATA) --run-dir $(RUN) \
		--sandboxes $$($(VENV_PY) -m toolchain.sandboxes)

local-aep-stop:
	@$(HOST_PYTHON) scripts/local-aep-daemon stop --run-dir $(RUN)

# Always the local AEP on PORT, whatever AEP_FLOW_SERVICE_URL says. Its URL is recorded
# (.run/demo.json), so later plan/deploy/destroy reach it with the demo's fake credentials, unless
# the caller points AEP_FLOW_SERVICE_URL elsewhere (toolchain.localdemo); exported settings win.
demo: export AEP_FLOW_SERVICE_URL = http://127.0.0.1:$(PORT)/data/foundation/flowservice
demo: export AEP_IMS_URL = http://127.0.0.1:$(PORT)
demo: lock local-aep-start
	@$(VENV_PY) -m toolchain.localdemo record --project $(ROOT) --port $(PORT)
	@$(VENV_PY) -m toolchain.preflight --project $(ROOT)
	$(STACKS_RUN) apply --project $(ROOT)
	@$(VENV_PY) -m toolchain.demo_report --project $(ROOT)
	@echo "The local AEP keeps running on http://127.0.0.1:$(PORT) (data in $(DATA)); it stops by itself after 8 hours."
	@echo "make plan, make deploy and make destroy now use it (unless AEP_FLOW_SERVICE_URL names another)."
	@echo "Stop it with: make local-aep-stop"

test: setup
	$(VENV_PY) -m pytest tests

test-unit: .stamps/venv
	$(VENV_PY) -m pytest tests -m "not e2e" -n 2

test-e2e: setup
	$(VENV_PY) -m pytest tests -m e2e

# The tests that drive the framework CLI, once more on CDK Terrain.
test-cdktn:
	@$(MAKE) --no-print-directory CDK=cdktn setup
	CDK=cdktn $(VENV_PY) -m pytest tests -m framework

lint: .stamps/venv
	$(VENV_PY) -m ruff check .
	$(VENV_PY) -m mypy
	$(VENV_PY) -m aep_provider.docs --check

# Registry-style docs under docs/, generated from the provider schema and docs/templates/.
docs: .stamps/venv
	$(VENV_PY) -m aep_provider.docs

# BENCH_ARGS, e.g. "--quick" or "--sizes 1,50 --latencies 150" (python -m benchmarks --help).
BENCH_ARGS ?=
bench: setup
	$(VENV_PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf .stamps .tf cdktf.out .run
