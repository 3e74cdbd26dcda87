"""Runs a bare model on the emulated Cortex-M4: raw tensors in, raw tensors
out, exact instructions per operator.

The model runner image (firmware/model_runner/model_main.c) embeds one model,
with the interpreter only or with a build-time compiled schedule
(edgesim/mcu/model_compiler.py, ``optimize="speed"|"size"``)::

    from edgesim.mcu.model_runner import build_model_runner, run_model
    image = build_model_runner("person_detect.tflite", optimize="speed")
    result = run_model(image, [[input_array]], count_instructions=True)
    result.outputs[0][0], result.invoke_instructions[0], result.op_instructions[0]

It also sizes every firmware image's tensor arena (arena_need): the runner,
linked with a large probe arena, loads the model on QEMU with the very
Cortex-M4 code an image runs (32-bit records, the interpreter's or the
compiled schedule's kernels) and reports the exact bytes its load needs.
"""
from __future__ import annotations

import json
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from edgesim.errors import TargetError
from edgesim.mcu.firmware_builder import (DEFAULT_STACK_BYTES, OPTIMIZE_MODES, RUNTIME_KERNELS, FirmwareImage,
                                          generated_source, link_image)

RUNNER_SOURCE = "firmware/model_runner/model_main.c"
HEADER = struct.Struct("<4s8I112s")
# The probe's arena: what the nRF52840's 256 KB RAM leaves beside the 16 KB
# stack and the runner's own few KB; a model needing more fits no board.
PROBE_ARENA_BYTES = 200 * 1024
PROBE_BOARD = "mps2-an386"
# Where QEMU is missing: the host runtime's figure (64-bit records, host
# kernels' scratch: an estimate) plus a margin, labelled as such.
HOST_ESTIMATE_MARGIN_BYTES = 1024


@dataclass(frozen=True)
class ArenaNeed:
    """Arena bytes an image reserves for its model, and where the figure comes from."""

    bytes: int
    source: str
    exact: bool  # measured on the Cortex-M4 code path (False: host estimate)


def build_model_runner(model: str | Path, board: str = "mps2-an386", optimize: str = "none",
                       stack_bytes: int = DEFAULT_STACK_BYTES, arena_bytes: int | None = None) -> FirmwareImage:
    """The runner image for `model` (a path or a store name).  optimize:
    "none" runs the interpreter; "speed"/"size" a compiled schedule.
    arena_bytes: default the model's need on the M4 (arena_need)."""
    from edgesim.store import resolve_model

    path = Path(resolve_model(str(model)))
    need = arena_need(path, optimize) if arena_bytes is None else ArenaNeed(arena_bytes, "set by the caller", False)
    image = _link_runner(path, optimize, need.bytes, board, stack_bytes)
    image = image.with_arena_source(need.source)
    image.size.check_limits()
    return image


def _link_runner(path: Path, optimize: str, arena_bytes: int, board: str, stack_bytes: int) -> FirmwareImage:
    if optimize not in OPTIMIZE_MODES:
        raise TargetError(f"unknown --optimize {optimize!r} (choose from {', '.join(OPTIMIZE_MODES)})")
    sources: list[str | Path] = [RUNNER_SOURCE]
    generated = {"model_config.h": _config_header(arena_bytes, optimize != "none")}
    if optimize != "none":
        from edgesim.mcu.model_compiler import compile_model

        sources.append(generated_source(compile_model(path, optimize)))
    return link_image(f"runner-{path.stem}-{optimize}", board, sources, kernels=RUNTIME_KERNELS,
                      generated=generated, model=path, stack_bytes=stack_bytes)


def arena_need(model: str | Path, optimize: str = "none") -> ArenaNeed:
    """The exact arena the firmware needs for `model` in `optimize` mode:
    es_model_load's arena_used in the probe runner on QEMU mps2-an386.  Every
    board runs the same Cortex-M4 objects (same flags, same kernels, same
    compiled schedule), so the figure holds for nano33ble images too.

    Cached beside the probe image, whose cache key covers the model, the
    kernel and firmware sources and the compiled schedule.  Where
    qemu-system-arm is missing: the host runtime's figure plus a margin,
    labelled as an estimate (the firmware still reports its exact need and
    stops with 'arena too small ... model needs N' if short)."""
    from edgesim.mcu.qemu import qemu_binary
    from edgesim.store import resolve_model

    path = Path(resolve_model(str(model)))
    probe = _link_runner(path, optimize, PROBE_ARENA_BYTES, PROBE_BOARD, DEFAULT_STACK_BYTES)
    cached = probe.elf.parent / "arena_need.json"
    if cached.exists():
        return ArenaNeed(**json.loads(cached.read_text()))
    try:
        qemu_binary()
    except TargetError as error:
        return _host_estimate(path, str(error))
    try:
        used = run_model(probe, [], timeout=120).arena_used
    except TargetError as error:
        if "arena too small" in str(error):
            raise TargetError(f"{path.name} does not fit a board: {str(error).split(': ', 1)[-1]} (the probe's "
                              f"{PROBE_ARENA_BYTES} B arena is what the nRF52840's 256 KB RAM leaves beside the "
                              f"stack and the firmware)") from None
        raise TargetError(f"{path.name}: sizing the arena on the emulated Cortex-M4 failed: {error}") from None
    mode = "interpreter" if optimize == "none" else f"compiled schedule --optimize {optimize}"
    need = ArenaNeed(used, f"measured: the model's load on the Cortex-M4 ({mode}, QEMU {PROBE_BOARD})", True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(need.__dict__))
    os.replace(tmp, cached)
    return need


def _host_estimate(path: Path, why: str) -> ArenaNeed:
    from edgesim.compute.model import Model

    try:
        host = int(Model(str(path)).arena_bytes)
    except Exception as error:  # e.g. the runtime extension is not built: no figure at all
        raise TargetError(f"{path.name}: cannot size the firmware arena: {why}; and the host runtime "
                          f"could not load the model either: {error}") from None
    need = (host + HOST_ESTIMATE_MARGIN_BYTES + 15) // 16 * 16
    # Said where every build shows it, not only in the size report.
    print(f"edgesim: warning: {path.name}: firmware arena {need} B estimated from the host runtime ({why})",
          file=sys.stderr)
    return ArenaNeed(need, f"ESTIMATE from the host runtime + {HOST_ESTIMATE_MARGIN_BYTES} B margin, not measured "
                           f"on the Cortex-M4 ({why}); the firmware reports its exact need at boot", False)


def _config_header(arena_bytes: int, compiled: bool) -> str:
    return "\n".join(["/* Generated by edgesim/mcu/model_runner.py; do not edit. */",
                      "#ifndef EDGESIM_MODEL_CONFIG_H", "#define EDGESIM_MODEL_CONFIG_H",
                      f"#define FW_ARENA_BYTES {arena_bytes}", f"#define FW_COMPILED {int(compiled)}", "#endif", ""])


@dataclass(frozen=True)
class RunnerResult:
    """Outputs (per inference, per output tensor: raw bytes), and with
    count_instructions the instructions of each Invoke and of each operator.
    stack_bytes: the stack high-water mark after the last inference (the
    painted stack's deepest use since reset: load and every invoke)."""

    arena_used: int
    node_count: int
    compiled_steps: int
    outputs: list[list[bytes]]
    invoke_instructions: list[int]
    op_instructions: list[list[int]]
    stack_bytes: int
    persistent_bytes: int  # arena_used's records and op data
    activation_bytes: int  # arena_used's planned tensors and scratch (the rest: the planner's working space)


def _tensor_bytes(value: object) -> bytes:
    return value if isinstance(value, bytes) else np.ascontiguousarray(value).tobytes()


def run_model(image: FirmwareImage, inferences: Sequence[Sequence[object]], output_sizes: Sequence[int] | None = None,
              count_instructions: bool = False, timeout: float = 300.0) -> RunnerResult:
    """Runs every inference (a list of input arrays or raw bytes, in model
    order) through the runner image.  output_sizes splits the concatenated
    outputs per tensor (default: one blob per inference)."""
    from edgesim.mcu.qemu import run_bulk

    stream = b"".join(_tensor_bytes(v) for inputs in inferences for v in inputs)
    run = run_bulk(image.elf, stream, timeout=timeout, count_instructions=count_instructions)
    data = run.output
    if len(data) < HEADER.size or data[:4] != b"ESMR":
        raise TargetError(f"the model runner sent no header (exit code {run.exit_code})")
    _, status, arena_used, nodes, in_bytes, out_bytes, compiled, persistent, activations, detail = \
        HEADER.unpack_from(data)
    if status != 0:
        text = detail.split(b"\0", 1)[0].decode(errors="replace")
        raise TargetError(f"the model runner could not load the model: {text}")
    if len(stream) != in_bytes * len(inferences):
        raise TargetError(f"inputs have {len(stream)} bytes for {len(inferences)} inference(s); the model needs "
                          f"{in_bytes} per inference")
    sizes = list(output_sizes) if output_sizes is not None else [out_bytes]
    if sum(sizes) != out_bytes:
        raise TargetError(f"output sizes {sizes} do not add up to the model's {out_bytes} output bytes")
    outputs: list[list[bytes]] = []
    pos, stack_bytes = HEADER.size, 0
    for index in range(len(inferences)):
        record = data[pos:pos + out_bytes + 8]
        if len(record) < out_bytes + 8:
            raise TargetError(f"the model runner stopped at inference {index} (exit code {run.exit_code})")
        op_status, stack_bytes = struct.unpack_from("<II", record, out_bytes)
        if op_status != 0:
            raise TargetError(f"inference {index} failed on the emulated M4 with status {op_status}")
        split, offset = [], 0
        for size in sizes:
            split.append(bytes(record[offset:offset + size]))
            offset += size
        outputs.append(split)
        pos += out_bytes + 8
    invoke = [c[1] for c in run.counts] if run.counts else []
    return RunnerResult(arena_used, nodes, compiled, outputs, invoke, list(run.op_counts or []), stack_bytes,
                        persistent, activations)
