"""Renode's real-time factor per app, host-fed and sensor-fed (needs Renode v1.15.x on PATH).

Real-time factor = emulated (virtual) seconds per wall-clock second; above 1
Renode keeps up with a real Nano 33 BLE, below 1 it is slower.

  host-fed    the Renode target fed the shared files over the UART (as `edgesim
              run APP --target renode` does), Renode already booted: virtual
              time over wall time and, for audio, the stream's duration over
              wall time (what `edgesim run` reports); boot + handshake apart.
  sensor-fed  the robot tests' firmware reading Renode's PDM / ArduCAM / LSM9DS1
              models: virtual time (sysbus.cpu ExecutedInstructions / the CPU's
              PerformanceInMips; the firmware never sleeps) over wall time, for
              WINDOW_S wall seconds after the first result.

What limits it is printed alongside: instructions per inference (Renode
retires ~PerformanceInMips x RTF million instructions per wall second) and,
host-fed, the bytes the UART model carries one at a time.  Without Renode the
script says so and exits 0 (a skip, with the reason).

Usage:
    PATH=/path/to/renode/bin:$PATH EDGESIM_MODELS=../shared/models .venv/bin/python benchmarks/bench_renode.py [APP...]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"

from edgesim import protocol as p  # noqa: E402
from edgesim.errors import TargetError  # noqa: E402
from edgesim.mcu import renode  # noqa: E402

WINDOW_S = 20.0
HOST_FED = {  # app -> (sensor kind, shared inputs)
    "wake_word": ("audio", sorted((SHARED / "testdata" / "tts").glob("*.wav"))),
    "person_detection": ("camera", sorted((SHARED / "testdata" / "person_detection").glob("*.bmp"))),
    "gesture": ("stroke", sorted((SHARED / "testdata" / "magic_wand").glob("stroke_digit*.csv"))),
}


def host_fed(app: str) -> str:
    from edgesim.apps import load_app
    from edgesim.constants import AUDIO_SAMPLE_RATE_HZ
    from edgesim.sources import open_source
    from edgesim.targets.renode import RenodeTarget

    kind, files = HOST_FED[app]
    chunks = []
    for path in files:
        with open_source(str(path), kind) as source:
            chunks += list(source)
    start = time.monotonic()
    with RenodeTarget() as target:
        target.open(load_app(app))
        booted = time.monotonic()
        mips = float(int(target.transport.monitor("sysbus.cpu PerformanceInMips"), 0))
        virtual0 = _virtual_s(target.transport, mips)
        for chunk in chunks:
            target.process(chunk)
        target.finish()
        wall, virtual = time.monotonic() - booted, _virtual_s(target.transport, mips) - virtual0
        invoke = target.stats().get("instructions_per_inference", {}).get("invoke", 0)
    stream = (f"{sum(len(c.samples) for c in chunks) / AUDIO_SAMPLE_RATE_HZ:.1f} s of audio, stream RTF "
              f"{sum(len(c.samples) for c in chunks) / AUDIO_SAMPLE_RATE_HZ / wall:.2f}; ") if kind == "audio" else ""
    return (f"{len(files)} files in {wall:.1f} s ({stream}{virtual:.2f} virtual s: RTF {virtual / wall:.2f}; "
            f"invoke {invoke:,} instructions); boot + handshake {booted - start:.1f} s")


def _virtual_s(machine: renode.RenodeMachine, mips: float) -> float:
    return int(machine.monitor("sysbus.cpu ExecutedInstructions"), 0) / (mips * 1e6)


def sensor_fed(app: str, workdir: Path) -> str:
    from edgesim.mcu.firmware_builder import build_app
    from edgesim.mcu.renode_tests import circle_gesture, prepare_inputs

    image = build_app(app, board="nano33ble", sensors=True, console=renode.CONSOLE)
    kind = renode.APP_INPUT[app]
    inputs: dict = {}
    if kind == "audio":
        inputs["audio_raw"] = prepare_inputs(app, workdir)
    elif kind == "camera":
        inputs["image"] = prepare_inputs(app, workdir)
    else:
        inputs["imu"] = circle_gesture(seconds=30.0)
    script = renode.RenodeScript(app=app, elf=image.elf, uart_port=renode.free_tcp_port(), **inputs)
    with renode.RenodeMachine(script, workdir) as machine:
        link = p.Link(machine, timeout=120.0)
        while not isinstance(link.receive(waiting_for="the first result"), (p.Scores, p.DeviceError)):
            pass
        mips = float(int(machine.monitor("sysbus.cpu PerformanceInMips"), 0))
        wall0, virtual0 = time.monotonic(), _virtual_s(machine, mips)
        results = 0
        while time.monotonic() - wall0 < WINDOW_S:
            try:
                results += isinstance(link.receive(timeout=1.0), p.Scores)
            except p.LinkTimeout:
                pass
        wall, virtual = time.monotonic() - wall0, _virtual_s(machine, mips) - virtual0
    return (f"{virtual:.2f} virtual s in {wall:.1f} s: RTF {virtual / wall:.2f} at {mips:.0f} MIPS "
            f"({results} inferences, {virtual * mips / wall:.1f} M instructions per wall second)")


def main() -> int:
    try:
        renode.find_renode()
    except TargetError as error:
        print(f"skipped: {error}")
        return 0
    os.environ.setdefault("EDGESIM_MODELS", str(SHARED / "models"))
    print("Renode real-time factor (virtual s per wall s), nano33ble firmware on Renode's Nano 33 BLE Sense\n")
    for app in sys.argv[1:] or HOST_FED:
        print(f"{app}")
        print(f"  host-fed:   {host_fed(app)}")
        with tempfile.TemporaryDirectory(prefix="edgesim-bench-renode-") as workdir:
            print(f"  sensor-fed: {sensor_fed(app, Path(workdir))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
