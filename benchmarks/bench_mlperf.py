"""The three bundled models and the six MLPerf Tiny reference models: edgesim
vs TFLM on the host and on the emulated Cortex-M4.

Host: microseconds per inference of edgesim.Model and of the tflite-micro
wheel (TFLM reference kernels), ratio.  Emulated M4 (QEMU mps2-an386, exact
counts from the TCG plugin, one warm-up then one measured inference on
all-zero inputs, as platform-notes.md measured TFLM): instructions per
inference of the interpreter and of the build-time compiled model
(--optimize speed and size), each checked bit-exact against the interpreter
on the same input, against TFLM reference and TFLM + CMSIS-NN
(platform-notes.md); arena and flash.  A model edgesim cannot load yet prints
"unsupported" with the reason instead of failing the script.  Last, the wake
word's CPU duty at 64 MHz (one inference per 40 ms plus the front end every
20 ms) for each mode.

QEMU counts instructions, not cycles: on silicon LDM/LDRD, multiply-
accumulates and taken branches cost more than one cycle, differently for
each kernel, so ratios between instruction counts are not exact speed
ratios.

Usage:
    .venv/bin/python benchmarks/bench_mlperf.py [--quick]   (--quick: bundled models only)
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"

from edgesim.errors import EdgesimError  # noqa: E402

CLOCK_HZ = 64_000_000
# Invoke() instructions on QEMU mps2-an386 and arena_used_bytes (platform-notes.md):
# (TFLM reference kernels, TFLM + CMSIS-NN, arena with CMSIS-NN)
TFLM = {
    "micro_speech_quantized": (9_310_269, 1_495_404, 6_836),
    "person_detect": (95_631_175, 22_928_453, 82_308),
    "magic_wand": (7_162_940, 1_859_968, 9_316),
    "mlperf_tiny/kws_ref_model": (43_021_895, 7_697_323, 22_820),
    "mlperf_tiny/vww_96_int8": (100_176_823, 24_101_938, 100_708),
    "mlperf_tiny/pretrainedResnet_quant": (107_273_406, 29_858_949, 54_996),
    "mlperf_tiny/ad01_int8": (1_952_159, 582_932, 2_580),
    "mlperf_tiny/model_ToyCar_quant_fullint_micro": (2_042_289, 672_959, 5_136),
    "mlperf_tiny/str_ww_ref_model": (8_278_847, 2_227_602, 16_596),
}
# Issue 13's instruction targets (--optimize size) and goals (--optimize speed).
TARGETS = {"person_detect": (12_000_000, 9_000_000), "micro_speech_quantized": (700_000, 450_000),
           "magic_wand": (None, 900_000)}


def zero_inputs(graph) -> list[np.ndarray]:
    return [np.zeros(graph.tensors[i].shape, graph.tensors[i].dtype) for i in graph.inputs]


def host_us(run, inputs) -> float:
    run(inputs)
    runs, start = 0, time.perf_counter()
    while runs < 3 or time.perf_counter() - start < 0.3:
        run(inputs)
        runs += 1
    return (time.perf_counter() - start) / runs * 1e6


def host_row(path: Path, inputs: list[np.ndarray]) -> str:
    from tflite_micro import runtime

    from edgesim.compute.model import Model

    interpreter = runtime.Interpreter.from_bytes(path.read_bytes(), arena_size=1 << 20)

    def tflm(xs):
        for i, x in enumerate(xs):
            interpreter.set_input(x, i)
        interpreter.invoke()

    try:
        model = Model(str(path))
    except EdgesimError as error:
        return f"  host: unsupported ({error}); TFLM {host_us(tflm, inputs):,.0f} us"
    ours, theirs = host_us(lambda xs: model.invoke(*xs), inputs), host_us(tflm, inputs)
    return f"  host: edgesim {ours:,.0f} us, TFLM reference {theirs:,.0f} us, ratio {ours / theirs:.3f}x"


def m4_rows(name: str, path: Path, inputs: list[np.ndarray]) -> tuple[list[str], dict[str, int]]:
    from edgesim.mcu.model_runner import build_model_runner, run_model

    ref, cmsis, tflm_arena = TFLM[name]
    rows, invokes, outputs = [], {}, {}
    for mode in ("none", "speed", "size"):
        try:
            image = build_model_runner(path, optimize=mode)
            result = run_model(image, [inputs, inputs], count_instructions=True)
        except EdgesimError as error:
            rows.append(f"  M4 {mode:>5}: unsupported ({str(error).splitlines()[0]})")
            continue
        invoke = result.invoke_instructions[1]
        invokes[mode] = invoke
        outputs[mode] = result.outputs
        exact = "" if mode == "none" else (" bit-exact with the interpreter" if outputs[mode] == outputs.get("none")
                                           else " OUTPUTS DIFFER FROM THE INTERPRETER")
        label = "interpreter" if mode == "none" else f"compiled --optimize {mode} ({result.compiled_steps} steps)"
        rows.append(f"  M4 {label}: {invoke:>12,} instructions  vs TFLM ref {invoke / ref:6.3f}x, vs TFLM+CMSIS-NN "
                    f"{invoke / cmsis:6.3f}x ({cmsis / invoke:4.2f}x faster); arena {result.arena_used:,} B "
                    f"(TFLM {tflm_arena:,}), stack high-water {result.stack_bytes:,} B, flash {image.size.flash_bytes:,} B{exact}")
    if name in TARGETS:
        size_target, speed_goal = TARGETS[name]
        checks = []
        if size_target and "size" in invokes:
            checks.append(f"size {invokes['size']:,} <= {size_target:,}: {'met' if invokes['size'] <= size_target else 'NOT met'}")
        if "speed" in invokes:
            checks.append(f"speed {invokes['speed']:,} <= {speed_goal:,}: {'met' if invokes['speed'] <= speed_goal else 'NOT met'}")
        rows.append("  issue 13: " + "; ".join(checks))
    return rows, invokes


def main() -> int:
    if not (SHARED / "models").is_dir():
        print(f"reference data not found at {SHARED}", file=sys.stderr)
        return 1
    os.environ.setdefault("EDGESIM_MODELS", str(SHARED / "models"))
    from edgesim.mcu.tflite_reader import read_tflite

    names = list(TFLM)[:3] if "--quick" in sys.argv else list(TFLM)
    print("edgesim vs TFLM: host (us per inference) and emulated Cortex-M4 (QEMU mps2-an386, exact instructions "
          "per inference, all-zero input)\n")
    speech = {}
    for name in names:
        path = SHARED / "models" / f"{name}.tflite"
        inputs = zero_inputs(read_tflite(path.read_bytes()))
        print(name)
        print(host_row(path, inputs))
        rows, invokes = m4_rows(name, path, inputs)
        print("\n".join(rows))
        if name == "micro_speech_quantized":
            speech = invokes
        print()
    if speech:
        from edgesim.apps import load_app
        from edgesim.mcu.profile import _audio_frontend_instructions

        front = _audio_frontend_instructions(load_app("wake_word"))
        print(f"wake_word CPU duty at 64 MHz (25 inferences/s; front end + postprocessing {front:,.0f} instructions "
              f"per inference, measured in the app image):")
        for mode, invoke in speech.items():
            duty = (invoke + front) * 25 / CLOCK_HZ
            print(f"  {'interpreter' if mode == 'none' else '--optimize ' + mode}: {100 * duty:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
