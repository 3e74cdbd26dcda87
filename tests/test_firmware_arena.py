"""Firmware images reserve exactly the arena their model's load needs on the
Cortex-M4 (measured by the model runner probe on QEMU, not the host runtime),
and a model needing more than an image reserves fails with a clear error."""
from __future__ import annotations

import os

import pytest

from conftest import shared_path
from firmware_support import require_firmware_tools

MODELS = ("micro_speech_quantized.tflite", "person_detect.tflite", "magic_wand.tflite", "mlperf_tiny/ad01_int8.tflite")


@pytest.fixture(scope="module", autouse=True)
def models():
    require_firmware_tools()
    os.environ.setdefault("EDGESIM_MODELS", str(shared_path("models")))


@pytest.mark.parametrize("optimize", ["none", "speed"])
@pytest.mark.parametrize("name", MODELS)
def test_runner_arena_is_exactly_the_need_the_firmware_reports(name: str, optimize: str) -> None:
    from edgesim.mcu.model_runner import build_model_runner, run_model
    from edgesim.mcu.profile import random_inputs
    from edgesim.mcu.tflite_reader import read_tflite

    path = shared_path("models", *name.split("/"))
    image = build_model_runner(path, optimize=optimize)
    result = run_model(image, [random_inputs(read_tflite(path.read_bytes()))])
    assert image.size.arena_bytes == result.arena_used  # not one byte of margin, and it runs
    assert image.size.arena_source.startswith("measured") and f"arena {result.arena_used} bytes" in image.size.report()
    # the need is the records and op data plus the plan (or the planner's working space, when larger)
    assert result.persistent_bytes + result.activation_bytes <= result.arena_used
    assert 0 < result.stack_bytes < image.size.stack_bytes  # painted stack, deepest use in load + invoke


@pytest.mark.parametrize("app", ["wake_word", "gesture"])
def test_app_image_arena_equals_the_need_in_hello_on_both_boards(app: str) -> None:
    from edgesim import protocol as p
    from edgesim.mcu.firmware_builder import build_app
    from edgesim.mcu.qemu import run_bulk

    for optimize in ("none", "size"):
        image = build_app(app, optimize=optimize)
        stream = b"".join(p.encode_frame(t, seq, payload)
                          for seq, (t, payload) in enumerate([(p.CONFIG, p.config_payload()), (p.END, b"")]))
        messages = map(p.decode_message, p.FrameDecoder().feed(run_bulk(image.elf, stream, timeout=120).output))
        hello = next(m for m in messages if isinstance(m, p.Hello))
        assert image.size.arena_bytes == hello.arena_bytes
        # the board image runs the same Cortex-M4 objects: the same figure
        assert build_app(app, "nano33ble", optimize=optimize).size.arena_bytes == hello.arena_bytes


def test_a_model_needing_more_arena_fails_naming_the_need() -> None:
    from edgesim.errors import TargetError
    from edgesim.mcu.model_runner import arena_need, build_model_runner, run_model

    path = shared_path("models", "magic_wand.tflite")
    need = arena_need(path, "speed").bytes
    short = build_model_runner(path, optimize="speed", arena_bytes=need - 8)
    with pytest.raises(TargetError, match=f"arena too small: {need - 8} bytes, model needs {need}"):
        run_model(short, [])


def test_a_model_needing_more_than_a_board_has_fails_naming_its_need(tmp_path) -> None:
    import numpy as np
    from oplib.model import TensorSpec, pool2d_options, single_op_model

    from edgesim.errors import TargetError
    from edgesim.mcu.firmware_builder import build_app
    from edgesim.mcu.model_runner import PROBE_ARENA_BYTES

    # a 1x1 max pool over 160x160x8: input and output alive together, 400 KB of activations
    shape = (1, 160, 160, 8)
    path = tmp_path / "too_big_for_a_board.tflite"
    path.write_bytes(single_op_model("MAX_POOL_2D", [TensorSpec(shape, np.int8, scale=0.5)],
                                     [TensorSpec(shape, np.int8, scale=0.5)], pool2d_options((1, 1))))
    with pytest.raises(TargetError, match=rf"does not fit a board: arena too small: {PROBE_ARENA_BYTES} bytes, "
                                          r"model needs \d+"):
        build_app("gesture", model=path)


def test_without_qemu_the_arena_is_a_labelled_host_estimate(monkeypatch, tmp_path, capsys) -> None:
    import shutil

    from edgesim.errors import TargetError
    from edgesim.mcu import qemu
    from edgesim.mcu.model_runner import arena_need, build_model_runner

    measured = arena_need(shared_path("models", "micro_speech_quantized.tflite"))
    # a name of its own: a probe image without a measured figure (only measured figures are cached)
    path = tmp_path / "arena_fallback_probe.tflite"
    shutil.copyfile(shared_path("models", "micro_speech_quantized.tflite"), path)

    def missing() -> str:
        raise TargetError("qemu-system-arm not found on PATH")

    monkeypatch.setattr(qemu, "qemu_binary", missing)
    estimate = arena_need(path)
    assert not estimate.exact and estimate.source.startswith("ESTIMATE") and "qemu-system-arm" in estimate.source
    assert "warning" in capsys.readouterr().err  # said on stderr too, not only in the size report
    assert estimate.bytes >= measured.bytes  # 64-bit records + margin: never short of the M4's need
    assert "ESTIMATE" in build_model_runner(path).size.report()
