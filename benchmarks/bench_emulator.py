"""Emulator throughput per QEMU instance: the UART channel vs the semihosting pipe channel.

One QEMU instance per channel stays up across "files" (reset() between them,
no boot per file), as an eval worker would use it:

  audio   wake word, 1-second noise clips: real-time factor (issue goal >= 20x, stretch 50x)
  images  person detection, 160x120 RGB frames (the largest colour frame the
          firmware's 76,800-byte frame buffer takes): frames per second
  qvga    person detection with a QVGA camera declared (Sensor.resolution
          320x240 gray8, as an ArduCAM delivers): 320x240 RGB frames converted
          on the host (inside the timing), then streamed (goal >= 10 fps, stretch 25)

and where the wall time goes: this Python process's CPU time (protocol,
targets), QEMU's CPU time (the firmware and the channel's emulation), and
the rest (waiting: scheduling on a shared machine, the UART's pacing).

Usage:
    EDGESIM_MODELS=../shared/models .venv/bin/python benchmarks/bench_emulator.py [--clips N] [--frames N]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dataclasses import replace  # noqa: E402

from edgesim.app import App  # noqa: E402
from edgesim.apps import load_app  # noqa: E402
from edgesim.sources.base import AudioChunk, ImageFrame  # noqa: E402
from edgesim.sources.frames import to_sensor_frame  # noqa: E402
from edgesim.targets.emulator import EmulatorTarget  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def measure(app: App, channel: str, files: list[list]) -> tuple[float, int, dict[str, float]]:
    """(wall seconds, events, {python, qemu, waiting} seconds) for `files` through one QEMU;
    frames are converted to the app's declared camera resolution on the way (as every source does)."""
    with EmulatorTarget(channel=channel) as target:
        target.open(app)
        pid = target.transport.process.pid
        qemu_start, py_start, start = cpu_seconds(pid), time.process_time(), time.monotonic()
        events = 0
        for index, chunks in enumerate(files):
            if index:
                target.reset()
            for chunk in chunks:
                if app.sensor.resolution is not None:
                    chunk = to_sensor_frame(chunk, app.sensor.resolution)
                events += len(target.process(chunk))
            events += len(target.finish())
        wall = time.monotonic() - start
        qemu = cpu_seconds(pid) - qemu_start
        python = time.process_time() - py_start
    return wall, events, {"python": python, "qemu": qemu, "waiting": max(0.0, wall - python - qemu)}


def split(parts: dict[str, float], wall: float) -> str:
    return ", ".join(f"{name} {seconds:.2f} s ({100 * seconds / wall:.0f}%)" for name, seconds in parts.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=10, help="1-second audio clips (default 10)")
    parser.add_argument("--frames", type=int, default=20, help="160x120 frames (default 20)")
    parser.add_argument("--uart", action="store_true", help="also measure the UART channel (slow)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    clips = [[AudioChunk(start, rng.integers(-3000, 3000, 1600, dtype=np.int16)) for start in range(0, 16000, 1600)]
             for _ in range(args.clips)]
    frames = [[ImageFrame(0.0, rng.integers(0, 256, (120, 160, 3), dtype=np.uint8), "rgb888")]
              for _ in range(args.frames)]
    qvga_frames = [[ImageFrame(0.0, rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), "rgb888")]
                   for _ in range(args.frames)]
    person = load_app("person_detection")
    qvga_person = replace(person, sensor=replace(person.sensor, format="gray8", resolution=(320, 240)))
    channels = ["semihosting", "uart"] if args.uart else ["semihosting"]
    for channel in channels:
        wall, events, parts = measure(load_app("wake_word"), channel, clips)
        print(f"audio  {channel:<11}: {args.clips} s of audio in {wall:.2f} s = {args.clips / wall:.1f}x real time "
              f"({events} events); {split(parts, wall)}")
        wall, events, parts = measure(person, channel, frames)
        print(f"images {channel:<11}: {args.frames} frames of 160x120 in {wall:.2f} s = {args.frames / wall:.2f} fps "
              f"({events} events); {split(parts, wall)}")
        wall, events, parts = measure(qvga_person, channel, qvga_frames)
        print(f"qvga   {channel:<11}: {args.frames} frames of 320x240 in {wall:.2f} s = {args.frames / wall:.2f} fps "
              f"({events} events); {split(parts, wall)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
