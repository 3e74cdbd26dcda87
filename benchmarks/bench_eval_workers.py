"""Eval throughput for 1, 2 and N workers: files per second of `edgesim eval --workers W`.

    .venv/bin/python benchmarks/bench_eval_workers.py [--target emulator] [--files 24] [--workers 1,2,4]

The dataset is the 100 real magic-wand strokes of ../shared/testdata (gesture:
a short file, so per-file overhead shows) or, with --app wake_word, the shared
1 s clips.  Each worker count runs the same files through
edgesim.evaluation.evaluate_folder; the script prints wall time, files per
second, the speed-up over one worker, and checks that every run's results
equal the one-worker run (it exits 1 when they do not).  Worker start-up
(process spawn, firmware boot) is included, as a user sees it.  Nothing is
timed against a limit: the numbers are for reading.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edgesim.apps import load_app  # noqa: E402
from edgesim.evaluation import evaluate_folder  # noqa: E402
from edgesim.evaluation.datasets import LabelledFile, find_labelled_files  # noqa: E402

SHARED = REPO.parent / "shared"


def dataset(app_name: str, count: int) -> list[LabelledFile]:
    app = load_app(app_name)
    if app_name == "gesture":
        files = find_labelled_files(SHARED / "testdata" / "magic_wand" / "real", app)
    else:
        clips = sorted((SHARED / "testdata" / "tts").glob("*.wav"))
        files = [LabelledFile(c, next((l for l in ("yes", "no") if c.name.startswith(l + "_")), "unknown"))
                 for c in clips]
    return files[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", default="gesture", choices=("gesture", "wake_word"))
    parser.add_argument("--target", default="host")
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--workers", default=f"1,2,{os.cpu_count() or 1}", help="comma-separated worker counts")
    args = parser.parse_args()
    os.environ.setdefault("EDGESIM_MODELS", str(SHARED / "models"))
    app = load_app(args.app)
    files = dataset(args.app, args.files)
    counts = sorted({int(w) for w in args.workers.split(",")})
    print(f"{args.app} on {args.target}: {len(files)} files, {os.cpu_count()} cores")
    print(f"{'workers':>7} {'wall s':>8} {'files/s':>8} {'speed-up':>8}  results")
    baseline = None
    first_wall = None
    for workers in counts:
        start = time.perf_counter()
        report = evaluate_folder(app, args.target, {}, files, workers=workers)
        wall = time.perf_counter() - start
        first_wall = first_wall or wall
        baseline = baseline if baseline is not None else report.results
        same = "equal to 1 worker" if report.results == baseline else "DIFFERENT"
        print(f"{workers:>7} {wall:>8.2f} {len(files) / wall:>8.1f} {first_wall / wall:>7.2f}x  {same}"
              + (f", {len(report.retries)} retries" if report.retries else ""))
        if report.results != baseline:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
