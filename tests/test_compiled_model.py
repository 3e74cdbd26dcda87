"""Build-time compiled models (edgesim/mcu/model_compiler.py + ops/fast/) give
the same outputs as the interpreter on the emulated Cortex-M4, and those equal
TFLM reference kernels on the host; per-operator instruction counts add up.

Each model runs through the model runner image (firmware/model_runner/) with
the interpreter and with both --optimize modes, on shared inputs plus a few
pseudo-random ones (a handful per model keeps this fast enough for CI)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from edgesim.errors import ModelError

pytestmark = pytest.mark.usefixtures("firmware_models")


def graph_of(path: Path):
    from edgesim.mcu.tflite_reader import read_tflite

    return read_tflite(path.read_bytes())


def shared_inputs(name: str) -> list[np.ndarray]:
    if name == "micro_speech_quantized":
        files = sorted(shared_path("testdata", "micro_speech", "features").glob("*.features.int8"))
        return [np.fromfile(f, np.int8).reshape(1, 1960) for f in files[:2]]
    if name == "magic_wand":
        files = sorted(shared_path("testdata", "magic_wand").glob("stroke_digit*_raster.bin"))
        return [np.fromfile(f, np.int8).reshape(1, 32, 32, 3) for f in files[:2]]
    return [np.zeros((1, 96, 96, 1), np.int8)]


def inferences(name: str, path: Path, random_count: int) -> list[list[np.ndarray]]:
    from edgesim.mcu.profile import random_inputs

    graph = graph_of(path)
    return [[x] for x in shared_inputs(name)] + [random_inputs(graph, seed) for seed in range(random_count)]


def tflm_outputs(path: Path, inputs: list[np.ndarray]) -> list[bytes]:
    tflm = pytest.importorskip("tflite_micro", reason="tflite-micro (the oracle) is not installed")
    interpreter = tflm.runtime.Interpreter.from_bytes(path.read_bytes(), arena_size=1 << 20)
    for i, x in enumerate(inputs):
        interpreter.set_input(np.ascontiguousarray(x), i)
    interpreter.invoke()
    return [np.asarray(interpreter.get_output(0)).tobytes()]


@pytest.mark.parametrize("name, random_count", [("micro_speech_quantized", 2), ("magic_wand", 2), ("person_detect", 1)])
def test_compiled_equals_interpreter_and_tflm(name: str, random_count: int) -> None:
    from edgesim.mcu.model_runner import build_model_runner, run_model
    from edgesim.store import resolve_model

    path = Path(resolve_model(name))
    cases = inferences(name, path, random_count)
    interpreted = run_model(build_model_runner(path), cases)
    assert interpreted.compiled_steps == 0
    assert interpreted.outputs[0] == tflm_outputs(path, cases[0]), "interpreter on the M4 != TFLM reference"
    for optimize in ("speed", "size"):
        compiled = run_model(build_model_runner(path, optimize=optimize), cases)
        assert compiled.compiled_steps > 0, f"{name}: no operator took a compiled kernel"
        for index, (a, b) in enumerate(zip(interpreted.outputs, compiled.outputs)):
            assert a == b, f"{name} --optimize {optimize}: inference {index} differs from the interpreter"


def test_operator_counts_cover_the_invoke() -> None:
    from edgesim.mcu.model_runner import build_model_runner, run_model

    path = shared_path("models", "micro_speech_quantized.tflite")
    result = run_model(build_model_runner(path, optimize="speed"), [[np.zeros((1, 1960), np.int8)]] * 2,
                       count_instructions=True)
    assert len(result.op_instructions) == 2 and len(result.op_instructions[0]) == result.node_count == 4
    for ops, invoke in zip(result.op_instructions, result.invoke_instructions):
        # everything of the invoke stage but its loop and marker calls is inside some operator
        assert 0 < invoke - sum(ops) < 20 * len(ops)
    assert result.op_instructions[0] == result.op_instructions[1]  # deterministic


def test_compiler_rejects_a_different_model() -> None:
    """A schedule generated for one model refuses to run another (operator check at boot)."""
    from edgesim.errors import TargetError
    from edgesim.mcu.firmware_builder import RUNTIME_KERNELS, generated_source, link_image
    from edgesim.mcu.model_compiler import compile_model
    from edgesim.mcu.model_runner import RUNNER_SOURCE, _config_header, arena_need, run_model

    speech = shared_path("models", "micro_speech_quantized.tflite")
    wand = shared_path("models", "magic_wand.tflite")
    image = link_image("runner-mismatch", "mps2-an386", [RUNNER_SOURCE, generated_source(compile_model(speech, "speed"))],
                       kernels=RUNTIME_KERNELS, generated={"model_config.h": _config_header(arena_need(wand).bytes, True)},
                       model=wand)
    with pytest.raises(TargetError, match="compiled schedule"):
        run_model(image, [])


def test_quantize_multiplier_matches_the_c_runtime_rounding() -> None:
    from edgesim.mcu.model_compiler import quantize_multiplier

    assert quantize_multiplier(0.5) == (1 << 30, 0)
    assert quantize_multiplier(0.0) == (0, 0)
    # a significand that rounds up to 2^31 moves into the exponent
    assert quantize_multiplier(1.0 - 2.0 ** -40) == (1 << 30, 1)
    assert quantize_multiplier(2.0 ** -40) == (0, 0)
    with pytest.raises(ModelError, match="requantization scale: multiplier -0.5 is negative"):
        quantize_multiplier(-0.5)


def test_activation_range_is_the_c_runtime_one() -> None:
    from edgesim.mcu.model_compiler import activation_range

    assert activation_range(0, 0.05, -10) == (-128, 127)
    assert activation_range(1, 0.05, -10) == (-10, 127)  # RELU
    assert activation_range(3, 0.05, -10) == (-10, 110)  # RELU6: -10 + round(6 / 0.05)
    with pytest.raises(ModelError, match="fused activation 4 has no int8 kernel"):
        activation_range(4, 0.05, 0)  # TANH


def test_profile_command_json(capsys) -> None:
    import json

    from edgesim.cli import main

    path = shared_path("models", "micro_speech_quantized.tflite")
    assert main(["profile", str(path), "--json", "--optimize", "speed"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [op["op"] for op in report["ops"]] == ["RESHAPE", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"]
    assert report["ops"][1]["macs"] == 25 * 20 * 8 * 80 and report["macs"] == 320_000 + 4 * 4000
    assert sum(op["instructions"] for op in report["ops"]) <= report["invoke_instructions"]
    assert report["latency_ms_at_64mhz"] == pytest.approx(report["invoke_instructions"] / 64e3)
    assert report["compiled_steps"] == 2


@pytest.mark.parametrize("app_name", ["wake_word", "gesture"])
def test_app_image_compiled_sends_the_same_frames(app_name: str) -> None:
    """edgesim build --optimize speed|size: the app firmware's whole output
    (features, scores, detections) equals the interpreter image's."""
    from edgesim import protocol as p
    from edgesim.mcu.firmware_builder import build_app
    from edgesim.mcu.qemu import run_bulk

    if app_name == "wake_word":
        noise = np.random.default_rng(3).normal(0, 3000, 24000).astype(np.int16)
        frames = [(p.AUDIO, x) for x in p.audio_payloads(noise)]
    else:
        from edgesim.sources.files import read_stroke_csv

        strokes = sorted(shared_path("testdata", "magic_wand").glob("stroke_digit*.csv"))[:2]
        frames = [(p.STROKE, p.stroke_payload(read_stroke_csv(s))) for s in strokes]
    frames = [(p.CONFIG, p.config_payload(send_features=True)), *frames, (p.END, b"")]
    stream = b"".join(p.encode_frame(t, seq, payload) for seq, (t, payload) in enumerate(frames))
    reference = run_bulk(build_app(app_name).elf, stream, timeout=120)
    scores = [m for m in map(p.decode_message, p.FrameDecoder().feed(reference.output)) if isinstance(m, p.Scores)]
    assert reference.exit_code == 0 and scores, "the interpreter image produced no scores"
    def messages(output: bytes) -> list:
        # END's last field is the stack high-water mark, which the kernels legitimately change, and
        # HELLO's arena holds the compiled kernels' work memory too (compared below)
        return [(f.type, f.payload[:12] if f.type == p.END else f.payload)
                for f in p.FrameDecoder().feed(output) if f.type != p.HELLO]

    def hello(output: bytes) -> p.Hello:
        return next(m for m in map(p.decode_message, p.FrameDecoder().feed(output)) if isinstance(m, p.Hello))

    for optimize in ("speed", "size"):
        compiled = run_bulk(build_app(app_name, optimize=optimize).elf, stream, timeout=120)
        assert compiled.exit_code == 0
        assert messages(compiled.output) == messages(reference.output), f"{app_name} --optimize {optimize}: differ"
        mine, theirs = hello(compiled.output), hello(reference.output)
        assert mine.arena_bytes >= theirs.arena_bytes, "the compiled image's arena lost the interpreter's tensors"
        assert replace(mine, arena_bytes=0) == replace(theirs, arena_bytes=0), f"{app_name}: HELLO differs"


MLPERF_TINY = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8",
               "model_ToyCar_quant_fullint_micro", "str_ww_ref_model"]


@pytest.mark.parametrize("name", MLPERF_TINY)
def test_mlperf_tiny_compiled_equals_interpreter(name: str) -> None:
    """Models edgesim did not ship with: the compiled schedule must still be
    bit-exact (a pseudo-random input; the interpreter equals TFLM per
    tests of the interpreter)."""
    from edgesim.errors import TargetError
    from edgesim.mcu.model_runner import build_model_runner, run_model
    from edgesim.mcu.profile import random_inputs

    path = shared_path("models", "mlperf_tiny", f"{name}.tflite")
    cases = [random_inputs(graph_of(path), 7)]
    try:
        interpreted = run_model(build_model_runner(path), cases)
    except TargetError as error:
        if "unsupported op" not in str(error):
            raise
        pytest.skip(f"{name}: {error} (the op is being added by the op-set work)")
    assert interpreted.outputs[0] == tflm_outputs(path, cases[0])
    for optimize in ("speed", "size"):
        compiled = run_model(build_model_runner(path, optimize=optimize), cases)
        assert compiled.compiled_steps > 0 and compiled.outputs == interpreted.outputs, f"--optimize {optimize}"


def test_fast_requantization_equals_the_tflm_formula() -> None:
    """The kernels' fused requantization (output offset folded into the
    rounding constant) against es_requantize_int8 on boundary and random
    values below 2^30 in magnitude, the accumulators the model compiler
    allows in the DSP modes (host build with the portable models of the DSP
    instructions)."""
    import re

    from native_build import build_harness, kernel_sources, run_harness

    fast = Path(__file__).resolve().parent.parent / "edgesim" / "kernels" / "ops" / "fast"
    exe = build_harness("fast_requant_harness", ["tests/c/fast_requant_harness.c", *kernel_sources("common", "quant")],
                        extra_flags=[f"-I{fast}"])
    assert int(re.search(r"checked (\d+)", run_harness(exe, timeout=300)).group(1)) > 800_000
