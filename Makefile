# Two commands do all set-up on a fresh machine (see README.md):
#   make demo   installs, then runs the wake word app on the host
#   make test   installs everything the tests need, builds, runs all tests
PY := .venv/bin/python

.PHONY: demo test build bench fuzz clean

demo:
	tools/bootstrap.sh live
	$(PY) -m edgesim.demo

test:
	tools/bootstrap.sh dev
	$(PY) -m pytest -q tests

# Rebuild the C extensions in place after editing kernels.  ONLY=audio
# rebuilds one module (each has its own temp dir so parallel builds of
# different modules do not collide).
build:
ifdef ONLY
	EDGESIM_ONLY=$(ONLY) $(PY) setup.py -q build_ext --inplace --build-temp build/tmp-$(ONLY)
else
	$(PY) setup.py -q build_ext --inplace
endif

# Speed and memory ratios against the references (TFLM, LiteRT, OpenCV, TFLM
# on the emulated M4), each measured in one run; a few minutes in all.
BENCHMARKS := bench_inference bench_frontend bench_mcu bench_jpeg bench_apps bench_mlperf bench_ops bench_eval_workers
bench:
	@export EDGESIM_MODELS=$${EDGESIM_MODELS:-$(CURDIR)/../shared/models}; \
	for b in $(BENCHMARKS); do echo "== benchmarks/$$b.py"; $(PY) benchmarks/$$b.py || exit 1; echo; done

# Every C (libFuzzer) and Python (atheris) fuzz target for MINUTES minutes
# each, from the committed seeds in tests/fuzz/corpus/.
MINUTES ?= 1
fuzz:
	$(PY) tests/fuzz/run_all.py --minutes $(MINUTES)

clean:
	rm -rf build *.egg-info edgesim/*.so
