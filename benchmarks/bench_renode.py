"""Renode's real-time factor per app, host-fed and sensor-fed (needs Renode v1.15.x on PATH).

Real-time factor = emulated (virtual) seconds per wall-clock second; above 1
Renode keeps up with a real Nano 33 BLE, below 1 it is slower.

  host-fed    `edgesim run APP --target renode --source FILES`: the stream's
              duration (sample counts / frame times of the files) over the wall
              time of streaming it (Renode already booted), and the whole
              command's wall time (build cached, Renode start, handshake).
  sensor-fed  the robot tests' firmware reading Renode's PDM / ArduCAM / LSM9DS1
              models: virtual time (sysbus.cpu ExecutedInstructions / the CPU's
              PerformanceInMips; the firmware never sleeps) over wall time, for
              WINDOW_S wall seconds after the first result.

What limits it is printed alongside: instructions per inference (Renode
retires ~PerformanceInMips x RTF million instructions per wall second) and,
host-fed, the bytes the UART model carries one at a time.  Without Renode the
script says so and exits 0 (a skip, with the reason).

Usage:
    PATH=/path/to/renode/bin:$PATH EDGESIM_MODELS=../shared/models .venv/bin/python benchmarks/bench_renode.py
"""
from __future__ import annotations

import json
import os
import subprocess
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
HOST_FED = {  # app -> source (shared test data)
    "wake_word": SHARED / "testdata" / "tts",
    "person_detection": SHARED / "testdata" / "person_detection" / "person_96x96.bmp",
    "gesture": SHARED / "testdata" / "magic_wand" / "stroke_digit7.csv",
}


def host_fed(app: str) -> str:
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "edgesim", "run", app, "--target", "renode",
                             "--source", str(HOST_FED[app]), "--json"], capture_output=True, text=True, timeout=1800)
    total = time.monotonic() - start
    if result.returncode != 0:
        return f"failed: {result.stderr.strip()}"
    summary = json.loads(result.stdout.splitlines()[-1])
    invoke = summary.get("instructions_per_inference", {}).get("invoke", 0)
    return (f"stream {summary['stream_ms'] / 1000:.1f} s in {summary['wall_s']:.1f} s: RTF {summary['realtime_factor']:.2f}"
            f" ({summary['inferences']} inferences, invoke {invoke:,} instructions); whole command {total:.1f} s")


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
            except p.ProtocolError as error:
                if "timed out" not in str(error):
                    raise
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
    for app in HOST_FED:
        print(f"{app}")
        print(f"  host-fed:   {host_fed(app)}")
        with tempfile.TemporaryDirectory(prefix="edgesim-bench-renode-") as workdir:
            print(f"  sensor-fed: {sensor_fed(app, Path(workdir))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
