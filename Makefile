# ablate — build, dependencies, tests, sweeps.  `make help` lists the targets.
#
# Sources are found by glob: a new kernels/*.c, harness/*.c or tests/test_*.c
# is picked up without touching this file.

# Every core unless a -j is given: a fresh clone's `make test` builds ablate
# and the test runner (~120 files) before the suite, on one core of two
# without it.
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 1)
endif

CC      ?= cc
PKGS    := lua5.4 openblas jansson yaml-0.1
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation -fopenmp \
           -Ikernels -Iharness -Igen/runtime $(EXTRA_CFLAGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# oneDNN (libdnnl-dev, the vendor baseline of harness/onednn.c) ships no
# pkg-config file: linked by name.
LDLIBS  = $(PKG_LIBS) -ldnnl -lcsv -lm -ldl -fopenmp

# Output folder: build/ normally; `make test-asan` re-invokes make with
# BUILD=build-asan so sanitized objects never mix with the normal ones.
BUILD   ?= build
LIB_SRC  := $(wildcard kernels/*.c) $(filter-out harness/main.c,$(wildcard harness/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
HDRS     := $(wildcard kernels/*.h harness/*.h gen/runtime/*.h)

EXP     ?= akconv_params
QUICK   ?=
# OpenBLAS core type for runs: "auto" lets OpenBLAS detect the CPU (AVX-512
# where the CPU has it), overriding an OPENBLAS_CORETYPE forced by the
# environment; any other value is passed through (e.g. Haswell, SkylakeX).
BLAS_CORETYPE ?= auto
RUN_ENV  = ABLATE_CORETYPE=$(BLAS_CORETYPE)

.PHONY: FORCE peers all deps test test-timed test-asan test-slurm fuzz fuzz-lib sweep slurm-sweep bench clean help goldens report regress
all: deps $(BUILD)/ablate

help:
	@echo "make deps                 install missing Debian packages (root) or print the apt command"
	@echo "make                      build build/ablate"
	@echo "make test                 build and run the test suite"
	@echo "make test-asan            the suite under AddressSanitizer + UBSan (build-asan/)"
	@echo "make test-timed           the timed A/A regress test, alone (run it on a quiet machine)"
	@echo "make fuzz                 libFuzzer targets, FUZZ_SECONDS each (clang)"
	@echo "make sweep EXP=name       run experiments/name.lua into runs/name/<stamp>/ (QUICK=1: short; BACKENDS=ref,gen,cuda)"
	@echo "make slurm-sweep EXP=name SHARDS=N   the sweep as a Slurm job array of N shards + a merge job (QUICK=1)"
	@echo "make test-slurm           a one-node Slurm cluster on this machine runs a sharded sweep (root; else skipped)"
	@echo "make bench                the akconv_params sweep at full length"
	@echo "make report EXP=name      runs/name/latest/report.md + report.html (no EXP: reports/index.html over every experiment)"
	@echo "make regress              the latest run against runs/history.csv (same machine); fails on a slowdown"
	@echo "make peers                .venv-peers/ with ONNX Runtime and OpenVINO (PyPI) for the ort/openvino backends"
	@echo "make goldens              regenerate tests/goldens with /usr/bin/python3 (torch)"

deps:
	@sh scripts/deps.sh

$(BUILD)/obj/%.o: %.c $(HDRS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

# The tests' own headers (gen_check.h, ...): only the test objects include them.
$(TEST_OBJ): $(wildcard tests/*.h)

# The commit `ablate --version` names: only harness/version.c is compiled
# with it, and only it rebuilds when it changes ($(BUILD)/commit.txt is
# rewritten only then).  Outside a git checkout (a tarball): "unknown".
ABLATE_COMMIT := $(if $(wildcard .git),$(shell git describe --always --dirty 2>/dev/null),)
ABLATE_COMMIT := $(or $(ABLATE_COMMIT),unknown)
$(BUILD)/commit.txt: FORCE
	@mkdir -p $(dir $@)
	@echo '$(ABLATE_COMMIT)' | cmp -s - $@ || echo '$(ABLATE_COMMIT)' > $@
$(BUILD)/obj/harness/version.o: $(BUILD)/commit.txt
$(BUILD)/obj/harness/version.o: CFLAGS += -DABLATE_COMMIT='"$(ABLATE_COMMIT)"'
FORCE:

$(BUILD)/libablate.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ablate: $(BUILD)/obj/harness/main.o $(BUILD)/libablate.a
	$(CC) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/test_runner: $(TEST_OBJ) $(BUILD)/libablate.a
	$(CC) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

test: $(BUILD)/ablate $(BUILD)/test_runner
	@BUILD=$(BUILD) sh scripts/run_tests.sh $(TEST_ARGS)

sweep: $(BUILD)/ablate
	$(RUN_ENV) ./$(BUILD)/ablate $(if $(filter placement_%,$(EXP)),placement,sweep) experiments/$(EXP).lua $(if $(QUICK),--quick) $(if $(BACKENDS),--backends $(BACKENDS)) $(SWEEP_FLAGS)
	./$(BUILD)/ablate report runs/$(EXP)/latest

# The sweep as a Slurm job array (scripts/slurm_sweep.sh): N shards, each
# `ablate sweep --shard I/N` into its own folder under runs/EXP/slurm-<stamp>/,
# then a job that merges them with `ablate report`.  SBATCH_FLAGS and
# MERGE_FLAGS pass through the environment.
SHARDS ?= 4
slurm-sweep: $(BUILD)/ablate
	SWEEP_FLAGS="$(strip $(if $(QUICK),--quick) $(SWEEP_FLAGS))" BLAS_CORETYPE=$(BLAS_CORETYPE) \
	    ABLATE=$(CURDIR)/$(BUILD)/ablate bash scripts/slurm_sweep.sh $(EXP) $(SHARDS)

# A throwaway one-node Slurm cluster (munged, slurmctld, slurmd) runs a
# 3-shard sweep; see scripts/test_slurm.sh.  Not root: says skipped.
test-slurm: $(BUILD)/ablate
	@ABLATE=$(CURDIR)/$(BUILD)/ablate bash scripts/test_slurm.sh

bench: $(BUILD)/ablate
	$(RUN_ENV) ./$(BUILD)/ablate sweep experiments/akconv_params.lua $(SWEEP_FLAGS)
	./$(BUILD)/ablate report runs/akconv_params/latest

# EXP given on the command line: that experiment's latest run; otherwise an
# index over every experiment's latest run.
report: $(BUILD)/ablate
ifeq ($(origin EXP),command line)
	./$(BUILD)/ablate report runs/$(EXP)/latest
else
	@mkdir -p reports
	$(if $(wildcard runs/*/latest),,$(error no runs/*/latest yet: make sweep EXP=name first))
	./$(BUILD)/ablate report --index reports/index.html $(wildcard runs/*/latest)
endif

regress: $(BUILD)/ablate
	./$(BUILD)/ablate regress --history runs/history.csv --chart runs

# The deployment peers (docs/peers.md): a virtual environment on Debian's
# python3 that sees its python3-torch (system site packages), with the
# engines from PyPI.  Sweeps and `ablate model --peers` look for it here
# (or where ABLATE_PEERS_VENV points).
PEERS_VENV ?= .venv-peers
PEERS_PKGS ?= onnxruntime openvino
peers:
	test -x $(PEERS_VENV)/bin/python || /usr/bin/python3 -m venv --system-site-packages $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --upgrade $(PEERS_PKGS)
	$(PEERS_VENV)/bin/python -c 'import onnxruntime, openvino, torch; print("peers: onnxruntime", \
	    onnxruntime.__version__, "openvino", openvino.get_version(), "torch", torch.__version__)'

goldens:
	/usr/bin/python3 scripts/torch_golden.py tests/goldens

# The same suite, harness and kernels built with AddressSanitizer + UBSan
# into build-asan/ (the tests then run build-asan/ablate).  Kernels the
# harness generates at run time are compiled by the system cc, unsanitized.
# ASAN_OPTIONS/UBSAN_OPTIONS: see scripts/run_tests.sh.
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# --jobs=1: sanitized tests are 2-5x slower; run side by side they disturb
# the timing statistics that tests/test_regress_kernel.c checks.
# The A/A regress test judges 10 % on tiny kernels: only on a quiet machine.
test-timed: $(BUILD)/ablate $(BUILD)/test_runner
	@ABLATE_TIMED_TESTS=1 BUILD=$(BUILD) sh scripts/run_tests.sh --jobs 1 --filter 'regress_kernel/*'

test-asan:
	$(MAKE) BUILD=build-asan EXTRA_CFLAGS="$(ASAN_FLAGS)" TEST_ARGS=--jobs=1 test

# libFuzzer targets (clang), each run FUZZ_SECONDS; see tests/fuzz/README.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz_safetensors fuzz_args fuzz_plan fuzz_yaml
FUZZ_CC      ?= clang
FUZZ_FLAGS    = -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
fuzz: $(FUZZ_TARGETS:%=build-fuzz/%)
	@sh scripts/run_fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The library for the fuzz targets: the same sources, built by clang with
# the fuzzer's coverage instrumentation into build-fuzz/lib/.
FUZZ_LIB_FLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
fuzz-lib:
	$(MAKE) BUILD=build-fuzz/lib CC=$(FUZZ_CC) EXTRA_CFLAGS="$(FUZZ_LIB_FLAGS)" build-fuzz/lib/libablate.a

build-fuzz/%: tests/fuzz/%.c fuzz-lib
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=c11 -D_GNU_SOURCE -fopenmp -Ikernels -Iharness -Igen/runtime \
	    $(PKG_CFLAGS) -o $@ $< build-fuzz/lib/libablate.a $(LDLIBS)

clean:
	rm -rf build build-asan build-fuzz
