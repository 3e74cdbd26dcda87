"""Per-operator cost of a model on the emulated Cortex-M4, and an app's CPU
duty cycle and battery life on the nRF52840.

Exact instruction counts come from the model runner image
(edgesim/mcu/model_runner.py) under QEMU mps2-an386 with the counting TCG
plugin: every operator is bracketed by a marker the plugin watches.  QEMU
counts instructions, not cycles: on a real Cortex-M4 loads, multiplies
with long results, branches and LDM/LDRD take more than one cycle, so
latencies here (instructions / 64 MHz) are lower bounds of a cycle-accurate
figure (TFLM's published 53.7 ms for micro_speech on the Nano 33 BLE is
~2.3 instructions' worth of cycles per instruction counted here).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgesim.mcu.tflite_reader import (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, UNIDIRECTIONAL_SEQUENCE_LSTM, Graph,
                                       read_tflite)

CLOCK_HZ = 64_000_000
# nRF52840 Product Specification v1.7, section 5.2.1 "CPU performance" /
# current consumption tables: I_CPU0, CPU running CoreMark at 64 MHz from
# flash with the cache enabled, HFXO clock, DC/DC regulator: 3.3 mA.
RUN_CURRENT_MA = 3.3
# Same document, section 5.2.2 "Sleep": I_ON_RAMON_RTC, System ON with full
# 256 KB RAM retention, woken by the RTC: 3.16 uA.
SLEEP_CURRENT_MA = 0.00316


@dataclass
class OpProfile:
    index: int
    op: str
    input_shape: list[int]
    output_shape: list[int]
    macs: int
    instructions: int | None = None

    @property
    def per_mac(self) -> float | None:
        return self.instructions / self.macs if self.instructions is not None and self.macs else None


@dataclass
class ModelProfile:
    model: str
    target: str
    optimize: str
    ops: list[OpProfile]
    arena_bytes: int
    flash_bytes: int | None = None
    model_bytes: int = 0
    invoke_instructions: int | None = None
    host_us: float | None = None
    compiled_steps: int = 0
    stack_bytes: int | None = None  # the runner's stack high-water mark (load + one inference), emulator only
    app: dict[str, Any] = field(default_factory=dict)

    @property
    def macs(self) -> int:
        return sum(op.macs for op in self.ops)

    @property
    def latency_ms(self) -> float | None:
        return None if self.invoke_instructions is None else self.invoke_instructions / CLOCK_HZ * 1e3

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(macs=self.macs, latency_ms_at_64mhz=self.latency_ms)
        for op, entry in zip(self.ops, d["ops"]):
            entry["instructions_per_mac"] = op.per_mac
            entry["share"] = (op.instructions / self.invoke_instructions
                              if op.instructions is not None and self.invoke_instructions else None)
        return d


def operator_macs(graph: Graph) -> list[OpProfile]:
    """Each operator with its first input's and output's shapes and its
    multiply-accumulates (conv, depthwise conv, fully connected, LSTM; 0 otherwise)."""
    result = []
    for op in graph.operators:
        ins = [graph.tensors[i] for i in op.inputs if i >= 0]
        out = graph.tensors[op.outputs[0]] if op.outputs else None
        out_elems = int(np.prod(out.shape)) if out is not None else 0
        macs = 0
        if op.code == CONV_2D and len(ins) >= 2:
            _, kh, kw, cin = ins[1].shape
            macs = out_elems * kh * kw * cin
        elif op.code == DEPTHWISE_CONV_2D and len(ins) >= 2:
            macs = out_elems * ins[1].shape[1] * ins[1].shape[2]
        elif op.code == FULLY_CONNECTED and len(ins) >= 2:
            macs = out_elems * ins[1].shape[-1]
        elif op.code == UNIDIRECTIONAL_SEQUENCE_LSTM and ins and len(ins[0].shape) == 3 and out is not None:
            # per output value, four gates each read the input and the hidden state
            macs = out_elems * 4 * (ins[0].shape[2] + out.shape[-1])
        result.append(OpProfile(op.index, op.name, list(ins[0].shape) if ins else [],
                                list(out.shape) if out is not None else [], macs))
    return result


def random_inputs(graph: Graph, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for index in graph.inputs:
        t = graph.tensors[index]
        if np.issubdtype(t.dtype, np.integer):
            info = np.iinfo(t.dtype)
            arrays.append(rng.integers(info.min, info.max + 1, size=t.shape, dtype=t.dtype))
        else:
            arrays.append(rng.uniform(-1, 1, size=t.shape).astype(t.dtype))
    return arrays


def profile_model(model_path: Path, target: str = "emulator", optimize: str = "none") -> ModelProfile:
    """The per-operator profile of a model (a pseudo-random input)."""
    graph = read_tflite(Path(model_path).read_bytes())
    ops = operator_macs(graph)
    inputs = random_inputs(graph)
    if target == "host":
        import time

        from edgesim.compute.model import Model

        model = Model(str(model_path))
        model.invoke(*inputs)
        runs, start = 0, time.perf_counter()
        while runs < 3 or time.perf_counter() - start < 0.5:
            model.invoke(*inputs)
            runs += 1
        return ModelProfile(str(model_path), target, "none", ops, model.arena_bytes,
                            model_bytes=Path(model_path).stat().st_size,
                            host_us=(time.perf_counter() - start) / runs * 1e6)
    from edgesim.mcu.model_runner import build_model_runner, run_model

    image = build_model_runner(model_path, optimize=optimize)
    result = run_model(image, [inputs], count_instructions=True)
    for op, count in zip(ops, result.op_instructions[0]):
        op.instructions = count
    return ModelProfile(str(model_path), target, optimize, ops, result.arena_used, image.size.flash_bytes,
                        image.size.model_bytes, result.invoke_instructions[0], compiled_steps=result.compiled_steps,
                        stack_bytes=result.stack_bytes)


def app_duty(app: Any, profile: ModelProfile, rate_hz: float | None, battery_mah: float) -> dict[str, Any]:
    """CPU duty at 64 MHz and the nRF52840's average current for an app:
    audio apps infer every `infer_every_frames` front-end frames (50 frames/s)
    and run the front end on every frame (its instructions measured in the
    app image); camera/IMU apps at `rate_hz` inferences per second."""
    invoke = profile.invoke_instructions or 0
    pre_per_s = 0.0
    if app.preprocess.kernel == "audio_frontend":
        from edgesim.constants import AUDIO_SAMPLE_RATE_HZ

        frames_per_s = 50.0
        per_s = frames_per_s / int(app.preprocess.params.get("infer_every_frames", 1))
        pre_per_s = _audio_frontend_instructions(app) * per_s
        schedule = f"one inference per {1000 / per_s:.0f} ms, front end every 20 ms at {AUDIO_SAMPLE_RATE_HZ} Hz"
    else:
        per_s = rate_hz if rate_hz is not None else 1.0
        schedule = f"{per_s:g} inferences per second (--rate), inference only (preprocessing not counted)"
    busy = (invoke * per_s + pre_per_s) / CLOCK_HZ
    current = busy * RUN_CURRENT_MA + (1 - busy) * SLEEP_CURRENT_MA
    return {"schedule": schedule, "inferences_per_second": per_s, "duty": busy,
            "average_current_ma": current, "battery_mah": battery_mah, "battery_hours": battery_mah / current,
            "run_current_ma": RUN_CURRENT_MA, "sleep_current_ma": SLEEP_CURRENT_MA}


def _audio_frontend_instructions(app: Any) -> float:
    """Mean front-end + postprocessing instructions per inference in the app's
    own image, over 1.2 s of low noise (steady state)."""
    from edgesim import protocol as p
    from edgesim.mcu.firmware_builder import build_app
    from edgesim.mcu.qemu import run_bulk

    noise = np.random.default_rng(1).normal(0, 200, 19200).astype(np.int16)
    frames = [(p.CONFIG, p.config_payload()), *[(p.AUDIO, x) for x in p.audio_payloads(noise)], (p.END, b"")]
    stream = b"".join(p.encode_frame(t, seq, payload) for seq, (t, payload) in enumerate(frames))
    run = run_bulk(build_app(app).elf, stream, timeout=120, count_instructions=True)
    steady = (run.counts or [])[1:]
    return float(np.mean([c[0] + c[2] for c in steady])) if steady else 0.0
