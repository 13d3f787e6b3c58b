# The two commands of the README: `make demo` and `make test`. Everything else is set-up or the
# team workflow (`make plan`, `make deploy`, `make verify`, `make status`), each a call of the
# console command teams install (`aep-iac`), so what this repository's CI tests is what they run.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
PYTHON ?= python3
# The interpreter the venv is made from, found on the caller's PATH now: the PATH exported below puts
# the venv first, where a later `python3` would be the venv's own (without pipenv).
HOST_PYTHON := $(shell command -v $(PYTHON) 2>/dev/null || echo $(PYTHON))
VENV_PY := $(ROOT)/.venv/bin/python
AEP_IAC := $(ROOT)/.venv/bin/aep-iac
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
export TF_CLI_CONFIG_FILE := $(ROOT)/.aep/cli.tfrc
# Messages name the make targets here (`make destroy STACKS=...`), aep-iac's commands elsewhere.
export AEP_IAC_VIA := make
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

.PHONY: help setup lock deploy destroy rebalance migrate forget plan verify status demo dist test test-unit test-e2e \
	test-cdktn lint docs local-aep local-aep-start local-aep-stop bench clean

help:
	@echo "make demo         set up, start the local AEP, deploy every sandbox of main.py to it"
	@echo "make test         set up and run the whole test suite"
	@echo "make test-unit    the fast tests only (no terraform, no cdktf); make test-e2e the rest"
	@echo "make test-cdktn   the framework tests again on CDK Terrain (CDK=cdktn); any target takes CDK=cdktn"
	@echo "make lint         ruff and mypy --strict"
	@echo "scripts/plan      plan every stack; write plan.md (for review) and plan.json; exit 0 none, 2 changes, 1 error"
	@echo "make plan         the same plan; exit 0 when it was made (changes or not), 2 when it failed"
	@echo "make deploy       deploy STACKS (default '*') with your own AEP_* and TF_VAR_* settings (e.g. real AEP)"
	@echo "make verify       after a deploy: wait for the runs of what it changed, judge them (verify.md); 0 all well"
	@echo "make status       every dataflow's health (status.md): last run, late, drifted; 0 all healthy"
	@echo "make destroy      destroy STACKS"
	@echo "make forget       STACKS=...: stop managing stacks main.py no longer declares (objects stay; no call to AEP)"
	@echo "make migrate      once after upgrading from 0.1.0: rename every stack's state entries (no call to AEP)"
	@echo "make rebalance    even out every sandbox's stacks (BOUND=n for a new bound), moving state, not objects"
	@echo "make local-aep  run the local AEP in the foreground (PORT=$(PORT) DATA=$(DATA))"
	@echo "make local-aep-stop  stop the one 'make demo' started"
	@echo "make bench        write benchmark figures to BENCHMARKS.md and benchmarks/results/"
	@echo "make dist         build the distribution teams install (dist/aep_iac-*.whl; README, Use it in your repository)"
	@echo "aep-iac --help    the same commands, as .venv/bin/aep-iac (or installed from dist/) runs them anywhere"

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

.stamps/provider: .stamps/venv aep_iac/mirror.py
	$(AEP_IAC) provider --force >/dev/null
	@touch $@

# Every stack's .terraform.lock.hcl, made from the mirror: `cdktf deploy` would otherwise run
# `terraform providers lock` against the registry, which fails offline. Synthesizing first also
# stops here, with one clean block per problem, when main.py's declarations break a rule.
lock: setup
	@$(AEP_IAC) lock

# Deploy with the caller's own settings (AEP_* and TF_VAR_*), e.g. against real AEP. Checks every
# setting first; Ctrl-C lets Terraform finish what is in flight and save state.
deploy: setup
	$(AEP_IAC) deploy $(STACK_ARGS)

destroy: setup
	$(AEP_IAC) destroy $(STACK_ARGS)

# After a deploy: the next run of every dataflow it created or changed (an on-demand run for a
# `once` flow), judged against the declaration's Expect; verify.md and verify.json. Through make,
# any failure is 2 (`aep-iac verify` itself exits 2 outside expectations, 1 on an error).
VERIFY_ARGS ?=
verify: setup
	$(AEP_IAC) verify $(VERIFY_ARGS)

# Every dataflow's health between changes: status.md (with each sandbox's picture) and status.json.
status: setup
	$(AEP_IAC) status

# Stop managing stacks main.py no longer declares (a removed sandbox): their objects stay in AEP, their
# state moves aside; no call to AEP. `make destroy STACKS=...` deletes them instead.
forget: lock
	$(AEP_IAC) forget $(STACK_ARGS)

# Even out every sandbox's stacks under BOUND (default: main.py's), moving state only: no call to
# AEP. Commit placement.json afterwards (and set the new bound in main.py).
BOUND ?=
rebalance: lock
	$(AEP_IAC) rebalance $(if $(BOUND),--bound $(BOUND))

# Once, after upgrading from release 0.1.0: every stack's state moves to 0.2.0's provider and
# type names (state pull/push, no call to AEP), and make demo's local AEP to its new data folder.
migrate: lock
	$(AEP_IAC) migrate $(STACK_ARGS)

# make turns every failing recipe into exit 2, so through make "changes" and "error" would look the
# same: here a plan that was made exits 0 (changes or not) and only a failure fails. scripts/plan
# runs this target and exits 0 (no changes), 2 (changes) or 1 (error), as the plan status file says.
PLAN_STATUS_FILE ?= $(RUN)/plan.status
# It synthesizes and locks itself (not through `lock`), so a refused main.py is reported in plan.md
# too: a plan file is always this run's, never an earlier one.
plan: setup
	@mkdir -p $(dir $(PLAN_STATUS_FILE))
	$(AEP_IAC) plan --status-file $(PLAN_STATUS_FILE) $(STACK_ARGS)

LOCAL_AEP_ARGS ?=
local-aep: .stamps/venv
	$(VENV_PY) -m aep_local --host 127.0.0.1 --port $(PORT) --data $(DATA) \
		--sandboxes $$($(VENV_PY) -m aep_iac.sandboxes) \
		$(if $(findstring --s3-endpoint,$(LOCAL_AEP_ARGS)),,--local-s3) $(LOCAL_AEP_ARGS)

local-aep-start: .stamps/venv
	@$(AEP_IAC) local-aep start --port $(PORT) --data $(DATA)

# Stops only the server this checkout started (its pid file); without a venv nothing was started.
local-aep-stop:
	@if [ -x $(AEP_IAC) ]; then $(AEP_IAC) local-aep stop; else echo "local AEP is not running (no pid file)"; fi

# Always the local AEP on PORT, whatever AEP_FLOW_SERVICE_URL says. Its URL is recorded
# (.run/demo.json), so later plan/deploy/verify/status/destroy reach it with the demo's fake
# credentials, unless the caller points AEP_FLOW_SERVICE_URL elsewhere (aep_iac.localdemo).
demo: setup
	$(AEP_IAC) demo --port $(PORT) --data $(DATA)

# The wheel teams install (README, "Use it in your repository"): dist/aep_iac-<version>-py3-none-any.whl.
dist: .stamps/venv
	rm -rf $(ROOT)/dist && $(VENV_PY) -m pip wheel --quiet --no-deps --wheel-dir $(ROOT)/dist $(ROOT)

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
	rm -rf .stamps .aep .tf cdktf.out .run dist
