"""Real-time factor of each app on the host target: seconds of sensor input processed per wall second.

    .venv/bin/python benchmarks/bench_apps.py [--repeat 3]

Each app runs through the same Runner as `edgesim run` on input built from
../shared/testdata (wake word: the shared clips, 2 s of silence apart, as one
stream; person detection: the shared images as 5 fps frames; gesture: the
100 real strokes).  Prints, per app, the stream time, the best wall time of
--repeat runs, the ratio (how many times faster than real time, i.e. the CPU
headroom of a live app) and the per-stage p50/p99 from the run's summary.
Nothing is asserted: the numbers are for reading.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edgesim.apps import load_app  # noqa: E402
from edgesim.pipeline import Runner  # noqa: E402
from edgesim.sources import open_source  # noqa: E402
from edgesim.sources.wav import write_wav  # noqa: E402
from edgesim.targets.host import HostTarget  # noqa: E402

SHARED = REPO.parent / "shared"


def wake_word_stream(folder: Path) -> Path:
    testdata = SHARED / "testdata"
    clips = sorted((testdata / "tts").glob("*.wav")) + sorted((testdata / "micro_speech").glob("*_1000ms.wav"))

    def read(path: Path) -> np.ndarray:
        with wave.open(str(path)) as handle:
            return np.frombuffer(handle.readframes(handle.getnframes()), np.int16)

    gap = np.tile(read(testdata / "micro_speech" / "silence_1000ms.wav"), 2)
    out = folder / "stream.wav"
    write_wav(out, np.concatenate([part for clip in clips for part in (gap, read(clip))]))
    return out


def measure(app_name: str, spec: str, repeat: int) -> None:
    app = load_app(app_name)
    best, summary = float("inf"), None
    with HostTarget() as target:
        target.open(app)
        for _ in range(repeat):
            target.reset()
            with open_source(spec, app.sensor.kind) as source:
                started = time.perf_counter()
                result = Runner(app, target, source).run()
                elapsed = time.perf_counter() - started
            if elapsed < best:
                best, summary = elapsed, result.stats
    assert summary is not None
    stream_s = summary["stream_ms"] / 1000
    print(f"{app_name:<17} {stream_s:8.1f} s of input in {best:6.3f} s wall: {stream_s / best:8.1f}x real time "
          f"({summary['inferences']} inferences)")
    for stage, values in summary["latency_ms"].items():
        print(f"    {stage:<12} p50 {values['p50']:8.3f} ms   p99 {values['p99']:8.3f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not (SHARED / "testdata").is_dir():
        print(f"bench_apps: {SHARED / 'testdata'} not found; nothing to measure", file=sys.stderr)
        return 1
    os.environ.setdefault("EDGESIM_MODELS", str(SHARED / "models"))
    with tempfile.TemporaryDirectory() as folder:
        measure("wake_word", str(wake_word_stream(Path(folder))), args.repeat)
        frames = Path(folder) / "frames"
        frames.mkdir()
        for image in sorted((SHARED / "testdata" / "person_detection").iterdir()):
            (frames / image.name).symlink_to(image)
        measure("person_detection", str(frames), args.repeat)
        strokes = Path(folder) / "strokes"
        strokes.mkdir()
        for stroke in sorted((SHARED / "testdata" / "magic_wand" / "real").glob("digit*.csv")):
            (strokes / stroke.name).symlink_to(stroke)
        measure("gesture", str(strokes), args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
