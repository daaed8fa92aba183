# ablate — build, dependencies, tests, sweeps.  `make help` lists the targets.
#
# Sources are found by glob: a new kernels/*.c, harness/*.c or tests/test_*.c
# is picked up without touching this file.

CC      ?= cc
PKGS    := lua5.4 openblas jansson
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation -fopenmp \
           -Ikernels -Iharness -Igen/runtime
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS  = $(PKG_LIBS) -lcsv -lm -ldl -fopenmp

LIB_SRC  := $(wildcard kernels/*.c) $(filter-out harness/main.c,$(wildcard harness/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=build/obj/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_OBJ := $(TEST_SRC:%.c=build/obj/%.o)
HDRS     := $(wildcard kernels/*.h harness/*.h gen/runtime/*.h)

EXP     ?= akconv_params
QUICK   ?=
# OpenBLAS core type for runs: "auto" lets OpenBLAS detect the CPU (AVX-512
# where the CPU has it), overriding an OPENBLAS_CORETYPE forced by the
# environment; any other value is passed through (e.g. Haswell, SkylakeX).
BLAS_CORETYPE ?= auto
RUN_ENV  = ABLATE_CORETYPE=$(BLAS_CORETYPE)

.PHONY: all deps test sweep bench clean help goldens report regress
all: deps build/ablate

help:
	@echo "make deps                 install missing Debian packages (root) or print the apt command"
	@echo "make                      build build/ablate"
	@echo "make test                 build and run the test suite"
	@echo "make sweep EXP=name       run experiments/name.lua into runs/name/<stamp>/ (QUICK=1: short)"
	@echo "make bench                the akconv_params sweep at full length"
	@echo "make report EXP=name      runs/name/latest/report.md + report.html (no EXP: reports/index.html over every experiment)"
	@echo "make regress              the latest run against runs/history.csv (same machine); fails on a slowdown"
	@echo "make goldens              regenerate tests/goldens with /usr/bin/python3 (torch)"

deps:
	@sh scripts/deps.sh

build/obj/%.o: %.c $(HDRS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/libablate.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/ablate: build/obj/harness/main.o build/libablate.a
	$(CC) -o $@ $^ $(LDLIBS)

build/test_runner: $(TEST_OBJ) build/libablate.a
	$(CC) -o $@ $^ $(LDLIBS) -lcriterion

test: build/ablate build/test_runner
	@sh scripts/run_tests.sh

sweep: build/ablate
	$(RUN_ENV) ./build/ablate sweep experiments/$(EXP).lua $(if $(QUICK),--quick) $(SWEEP_FLAGS)
	./build/ablate report runs/$(EXP)/latest

# EXP given on the command line: that experiment's latest run; otherwise an
# index over every experiment's latest run.
report: build/ablate
ifeq ($(origin EXP),command line)
	./build/ablate report runs/$(EXP)/latest
else
	@mkdir -p reports
	$(if $(wildcard runs/*/latest),,$(error no runs/*/latest yet: make sweep EXP=name first))
	./build/ablate report --index reports/index.html $(wildcard runs/*/latest)
endif

regress: build/ablate
	./build/ablate regress --history runs/history.csv --chart runs

bench: build/ablate
	$(RUN_ENV) ./build/ablate sweep experiments/akconv_params.lua $(SWEEP_FLAGS)

goldens:
	/usr/bin/python3 scripts/torch_golden.py tests/goldens

clean:
	rm -rf build
