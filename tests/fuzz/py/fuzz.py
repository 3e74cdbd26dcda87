"""Run one Python fuzz target under atheris (libFuzzer's engine, Python coverage).

    python tests/fuzz/py/fuzz.py wav -max_total_time=60 tests/fuzz/corpus/wav
    python tests/fuzz/py/fuzz.py --list

A crash leaves crash-<hash> in the working folder with the input; replay it
with the same command and the file as the only argument.
"""
from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["edgesim"]):
    import targets  # noqa: E402  (edgesim modules are imported lazily inside, so instrument them all)
    import edgesim.apps  # noqa: F401,E402
    import edgesim.evaluation  # noqa: F401,E402
    import edgesim.protocol  # noqa: F401,E402
    import edgesim.sources.files  # noqa: F401,E402
    import edgesim.sources.still_images  # noqa: F401,E402
    import edgesim.sources.wav  # noqa: F401,E402


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in targets.TARGETS:
        print(f"usage: fuzz.py TARGET [libFuzzer flags] [corpus]; targets: {', '.join(targets.TARGETS)}")
        raise SystemExit(0 if sys.argv[1:2] == ["--list"] else 2)
    target = targets.TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], lambda data: targets.run_one(target, data))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
