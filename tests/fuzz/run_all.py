"""Run every fuzz target -- the libFuzzer C targets and the atheris Python targets -- for N minutes each.

    .venv/bin/python tests/fuzz/run_all.py --minutes 10      (what `make fuzz MINUTES=10` runs)
    .venv/bin/python tests/fuzz/run_all.py --minutes 1 --only wav,fuzz_jpeg

Each target starts from its committed seeds (tests/fuzz/corpus/<target>/, written
by make_seeds.py) copied into a scratch corpus, so the committed seeds never
change.  Prints a table of executions and crashes per target; a crash input is
kept under build/fuzz/<target>/ and the exit status is 1.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: native_build
sys.path.insert(0, str(HERE / "py"))  # targets

from native_build import FUZZ_TARGET_KERNELS, FUZZER_COMPILERS, build_harness, fuzz_target_sources, sanitizer_env  # noqa: E402
from targets import TARGETS  # noqa: E402

OUT = HERE.parent.parent / "build" / "fuzz"
MAX_LEN = {"fuzz_image": 20000, "fuzz_imu": 20000, "fuzz_protocol": 9000, "fuzz_audio": 8192, "fuzz_model": 65536}


def command(target: str) -> list[str]:
    if target in TARGETS:
        return [sys.executable, str(HERE / "py" / "fuzz.py"), target]
    if not any(shutil.which(c) for c in FUZZER_COMPILERS):
        raise SystemExit(f"run_all: the C fuzz targets need clang ({' or '.join(FUZZER_COMPILERS)}) on PATH")
    return [str(build_harness(target, fuzz_target_sources(target), fuzzer=True))]


def run(target: str, seconds: int) -> tuple[int, int, Path]:
    """(executions, crashes, work folder) of one target run."""
    work = OUT / target
    shutil.rmtree(work, ignore_errors=True)
    corpus = work / "corpus"
    seeds = HERE / "corpus" / target
    if seeds.is_dir():
        shutil.copytree(seeds, corpus)
    else:
        corpus.mkdir(parents=True)
    args = [*command(target), f"-max_total_time={seconds}", f"-max_len={MAX_LEN.get(target, 4096)}",
            "-timeout=10", "-rss_limit_mb=4096", str(corpus)]
    result = subprocess.run(args, cwd=work, capture_output=True, text=True, env=sanitizer_env(),
                            timeout=seconds + 300)
    (work / "log.txt").write_text(result.stdout + result.stderr)
    done = re.findall(r"Done (\d+) runs", result.stderr)
    crashes = len(list(work.glob("crash-*"))) + len(list(work.glob("timeout-*"))) + len(list(work.glob("leak-*")))
    if result.returncode != 0 and crashes == 0:
        crashes = 1  # died without leaving an input (e.g. out of memory): still a finding
    return int(done[-1]) if done else 0, crashes, work


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=1.0, help="time per target (default 1)")
    parser.add_argument("--only", help="comma-separated targets (default: all)")
    args = parser.parse_args()
    every = [*FUZZ_TARGET_KERNELS, *TARGETS]
    chosen = args.only.split(",") if args.only else every
    unknown = sorted(set(chosen) - set(every))
    if unknown:
        parser.error(f"unknown targets {', '.join(unknown)}; choose from {', '.join(every)}")
    seconds = max(1, round(args.minutes * 60))
    print(f"{len(chosen)} targets x {seconds} s (about {len(chosen) * seconds / 60:.0f} min)", flush=True)
    print(f"{'target':<18}{'executions':>14}{'crashes':>9}", flush=True)
    failed = False
    for target in chosen:
        start = time.monotonic()
        executions, crashes, work = run(target, seconds)
        failed |= crashes > 0
        note = f"   inputs in {work}" if crashes else ""
        print(f"{target:<18}{executions:>14,}{crashes:>9}   ({time.monotonic() - start:.0f} s){note}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
