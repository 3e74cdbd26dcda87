"""Flat memory on long streams: RSS after the first 5 minutes of stream time vs at the end.

Two runs of the wake word app on a synthetic noise source (accelerated: the
source is not paced, so a day of audio takes minutes on the host):

  host      --host-hours (default 24) of audio through the host target
  emulator  --emulator-hours (default 2) of audio through one QEMU instance,
            over --channel semihosting (default: the pipes, ~10-50x real time)
            or uart (~15-20 KiB/s, about real time)

For each run it prints the stream time, wall time, real-time factor, RSS
after 5 minutes of stream time, RSS at the end, and their ratio; the issue's
bar is end <= 1.05 x the 5-minute value.  It also counts dropped chunks and
input overflows (must be 0) and, for the emulator, runs the same stream on the
host and compares every event (a desync would show as a difference).  The exit
code is 1 if a run misses any of these.

Usage:
    EDGESIM_MODELS=../shared/models .venv/bin/python benchmarks/bench_soak.py [--host-hours H] [--emulator-hours H]
    (--emulator-hours 0 skips the emulator run)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edgesim.apps import load_app  # noqa: E402
from edgesim.pipeline import Runner  # noqa: E402
from edgesim.sources import open_source  # noqa: E402
from edgesim.targets import create_target  # noqa: E402

WARM_UP_MS = 5 * 60 * 1000
LIMIT = 1.05


def rss_bytes() -> int:
    """Resident set size of this process now (not the peak), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


@dataclass
class Soak:
    ok: bool
    events: int
    digest: str  # sha256 of every event but the summary, in order


def soak(target_name: str, hours: float, **options: str) -> Soak:
    app = load_app("wake_word")
    duration_s = hours * 3600
    source = open_source(f"synthetic:noise,duration={duration_s:g}", app.sensor.kind)
    marks: dict[str, float] = {}
    progress = {"next_ms": 0.0}
    start = time.monotonic()

    def on_chunk(chunk) -> None:
        if "warm" not in marks and chunk.t_ms >= WARM_UP_MS:
            marks["warm"] = rss_bytes()
        if chunk.t_ms >= progress["next_ms"]:
            done = chunk.t_ms / 1000 / duration_s
            elapsed = time.monotonic() - start
            eta = elapsed / done - elapsed if done > 0 else float("nan")
            print(f"  {target_name}: {chunk.t_ms / 3.6e6:6.2f} h of {hours:g} h, RSS {rss_bytes() / 1e6:.1f} MB, "
                  f"ETA {eta:.0f} s", file=sys.stderr, flush=True)
            progress["next_ms"] += max(WARM_UP_MS, duration_s * 1000 / 20)

    digest, count = hashlib.sha256(), [0]

    def on_event(event) -> None:
        if event.type != "summary":
            digest.update(json.dumps(event.to_dict(), sort_keys=True).encode())
            count[0] += 1

    with create_target(target_name, **options) as target:
        target.open(app)
        summary = Runner(app, target, source).run(on_event=on_event, on_chunk=on_chunk).stats
    end = rss_bytes()
    wall = time.monotonic() - start
    warm = marks.get("warm")
    if warm is None:
        print(f"{target_name}: stream shorter than the 5-minute warm-up; nothing to compare")
        return Soak(False, count[0], digest.hexdigest())
    ratio = end / warm
    losses = {name: summary.get(name, 0) for name in ("dropped_chunks", "input_overflows")}
    ok = ratio <= LIMIT and not any(losses.values())
    print(f"{target_name}: {summary['stream_ms'] / 3.6e6:.2f} h of audio in {wall:.0f} s "
          f"({summary['stream_ms'] / 1000 / wall:.0f}x real time), {summary['inferences']} inferences; "
          f"RSS after 5 min {warm / 1e6:.1f} MB, at the end {end / 1e6:.1f} MB: ratio {ratio:.3f} "
          f"({'ok' if ok else 'FAIL'}, limit {LIMIT})")
    print(f"{target_name}: {count[0]} events, {', '.join(f'{k} {v}' for k, v in losses.items())}")
    if "link" in summary:
        print(f"{target_name}: link {summary['link']}")
    return Soak(ok, count[0], digest.hexdigest())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host-hours", type=float, default=24.0)
    parser.add_argument("--emulator-hours", type=float, default=2.0)
    parser.add_argument("--channel", choices=("semihosting", "uart"), default="semihosting",
                        help="the emulator's channel")
    args = parser.parse_args()
    results = []
    if args.host_hours > 0:
        results.append(soak("host", args.host_hours).ok)
    if args.emulator_hours > 0:
        emulated = soak("emulator", args.emulator_hours, channel=args.channel)
        # No desync: the same stream on the host gives the same events, in the same order.
        reference = soak("host", args.emulator_hours)
        same = emulated.digest == reference.digest and emulated.events == reference.events
        print(f"emulator vs host over {args.emulator_hours:g} h: {emulated.events} and {reference.events} events, "
              f"{'identical' if same else 'DIFFERENT'} (sha256 {emulated.digest[:16]}...)")
        results += [emulated.ok, same]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
