"""Instructions per inference and per stage of every app on the emulated Cortex-M4.

Each app's firmware (built from the shared kernels, cached) runs under QEMU
mps2-an386 with the semihosting channel and the exact instruction-counting
TCG plugin (firmware/tools/insn_count.c); every measurement is made twice
and must agree to the instruction.  Printed next to the anchors of
../shared/platform-notes.md, as ratios (edgesim / anchor; below 1 is better):

  TFLM reference kernels and TFLM + CMSIS-NN on the same emulated M4 (Invoke only)
  TFLM on a real Nano 33 BLE at 64 MHz: 3.43 M cycles (micro_speech), 41.8 M (person_detection)
  issue goals: <= 1.0 M (micro_speech), <= 10 M (person_detection)

plus the wake word's CPU duty at 64 MHz (instructions per second of audio /
64 M, steady state: 2 front-end frames + one inference + postprocessing per
40 ms), and flash / RAM / arena of each image.

Usage:
    EDGESIM_MODELS=../shared/models .venv/bin/python benchmarks/bench_mcu.py
"""
from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"

from edgesim.apps import load_app  # noqa: E402
from edgesim import protocol as p  # noqa: E402
from edgesim.constants import AUDIO_SAMPLE_RATE_HZ  # noqa: E402
from edgesim.mcu.firmware_builder import build_app  # noqa: E402
from edgesim.mcu.qemu import run_bulk  # noqa: E402

CLOCK_HZ = 64_000_000
# Invoke() instructions on QEMU mps2-an386 (platform-notes.md) and the real-board cycles.
ANCHORS = {
    "wake_word": {"TFLM ref": 9_310_269, "TFLM+CMSIS-NN": 1_495_404, "Nano 33 BLE (cycles)": 3_433_856,
                  "goal": 1_000_000},
    "person_detection": {"TFLM ref": 95_631_175, "TFLM+CMSIS-NN": 22_928_453, "Nano 33 BLE (cycles)": 41_792_000,
                         "goal": 10_000_000},
    "gesture": {"TFLM ref": 7_162_940, "TFLM+CMSIS-NN": 1_859_968},
}
TFLM_ARENA = {"wake_word": 6_788, "person_detection": 82_292, "gesture": 9_156}


def wake_word_frames() -> tuple[list[tuple[int, bytes]], float]:
    """A 'yes' clip then 3 s of low noise: steady-state streaming after the first window."""
    import wave

    with wave.open(str(SHARED / "testdata" / "tts" / "yes_en-us.wav")) as w:
        clip = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    noise = (np.random.default_rng(1).normal(0, 200, 48000)).astype(np.int16)
    audio = np.concatenate([clip, noise])
    return [(p.AUDIO, payload) for payload in p.audio_payloads(audio)], len(audio) / AUDIO_SAMPLE_RATE_HZ


def person_frames() -> list[tuple[int, bytes]]:
    from edgesim.sources import open_source

    with open_source(str(SHARED / "testdata" / "person_detection" / "person_96x96.bmp"), "camera") as source:
        frame = next(iter(source))
    return [(p.IMAGE, payload) for payload in p.image_payloads(frame.pixels, 0)]


def gesture_frames() -> list[tuple[int, bytes]]:
    from edgesim.sources.files import read_stroke_csv

    strokes = sorted((SHARED / "testdata" / "magic_wand").glob("stroke_digit*.csv"))
    return [(p.STROKE, p.stroke_payload(read_stroke_csv(path))) for path in strokes]


def measure(app_name: str, frames: list[tuple[int, bytes]]):
    image = build_app(load_app(app_name))
    frames = [(p.CONFIG, p.config_payload(send_stats=True)), *frames, (p.END, b"")]
    stream = b"".join(p.encode_frame(t, seq, payload) for seq, (t, payload) in enumerate(frames))
    runs = [run_bulk(image.elf, stream, timeout=300, count_instructions=True) for _ in range(2)]
    if runs[0].counts != runs[1].counts:
        raise SystemExit(f"{app_name}: instruction counts differ between two runs: not repeatable")
    stats = [m for m in map(p.decode_message, p.FrameDecoder().feed(runs[0].output)) if isinstance(m, p.Stats)]
    return image, runs[0].counts, stats


def ratio(value: float, anchor: float) -> str:
    return f"{value / anchor:6.3f}x"


def main() -> int:
    if not (SHARED / "models").is_dir():
        print(f"reference data not found at {SHARED}", file=sys.stderr)
        return 1
    os.environ.setdefault("EDGESIM_MODELS", str(SHARED / "models"))
    audio_frames, audio_seconds = wake_word_frames()
    cases = {"wake_word": audio_frames, "person_detection": person_frames(), "gesture": gesture_frames()}
    print("edgesim on QEMU mps2-an386 (Cortex-M4F), exact counts from the TCG plugin, identical in 2 runs\n")
    for app_name, frames in cases.items():
        image, counts, stats = measure(app_name, frames)
        # Mean over the steady state: the first wake word inference carries 49
        # front-end frames, and one AUDIO frame's front end is charged to the
        # first inference it completes.
        steady = counts[1:] if len(counts) > 2 else counts
        pre = statistics.mean(c[0] for c in steady)
        invoke = statistics.median(c[1] for c in counts)
        post = statistics.mean(c[2] for c in steady)
        timer_invoke = statistics.median(s.instructions["invoke"] for s in stats)
        print(f"{app_name}: {len(counts)} inferences; per inference: preprocess (mean) {pre:,.0f}, "
              f"invoke (median) {invoke:,.0f}, postprocess (mean) {post:,.0f} instructions")
        print(f"  timer method (STATS frames, 40-instruction ticks) invoke {timer_invoke:,.0f} "
              f"(differs by {timer_invoke - invoke:+,.0f})")
        for name, anchor in ANCHORS[app_name].items():
            print(f"  invoke vs {name:<22} {anchor:>12,}  ratio {ratio(invoke, anchor)}")
        size = image.size
        print(f"  image: flash {size.flash_bytes:,} B (model {size.model_bytes:,}), RAM {size.ram_bytes:,} B, "
              f"arena {size.arena_bytes:,} B reserved (TFLM arena_used {TFLM_ARENA[app_name]:,}; "
              f"stack high-water {max(s.stack_bytes for s in stats)} B)")
        if app_name == "wake_word":
            total = sum(sum(c) for c in counts)
            per_second_steady = (pre + invoke + post) * 25  # one inference per 40 ms
            print(f"  CPU duty at 64 MHz: {per_second_steady / CLOCK_HZ * 100:.2f}% steady state "
                  f"({per_second_steady:,.0f} instructions per second of audio); whole {audio_seconds:.1f} s "
                  f"stream {total / audio_seconds / CLOCK_HZ * 100:.2f}%")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
