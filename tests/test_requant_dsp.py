"""The Cortex-M requantization loop (SMMULR/QADD formulation in
edgesim/kernels/ops/op_common.c) equals the TFLM double-rounding formula of
edgesim/quant.h for every boundary accumulator and many random ones, every
right shift, zero point and clamp range; built with the portable models of the
DSP instructions (ES_OPS_FORCE_MCU_LOOPS) under ASan + UBSan.

Usage: .venv/bin/python -m pytest -q tests/test_requant_dsp.py
"""
from __future__ import annotations

import re
from pathlib import Path

from native_build import build_harness, kernel_sources, run_harness

OPS_DIR = Path(__file__).resolve().parent.parent / "edgesim" / "kernels" / "ops"


def test_dsp_requantization_equals_the_tflm_formula() -> None:
    exe = build_harness("requant_dsp_harness",
                        ["tests/c/requant_dsp_harness.c", *kernel_sources("common", "runtime", "ops", "quant")],
                        extra_flags=["-DES_OPS_FORCE_MCU_LOOPS", f"-I{OPS_DIR}"])
    stdout = run_harness(exe, timeout=300)
    checked = int(re.search(r"checked (\d+)", stdout).group(1))
    assert checked > 1_000_000
