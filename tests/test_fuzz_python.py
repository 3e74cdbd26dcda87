"""The Python-side parsers under atheris: every committed seed is handled, and a short
coverage-guided run of each target finds no exception outside edgesim's own errors.
(`make fuzz MINUTES=N` runs them, and the C targets, for longer.)"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

FUZZ = REPO_ROOT / "tests" / "fuzz"
sys.path.insert(0, str(FUZZ / "py"))
from targets import TARGETS, corpus_dir, run_one  # noqa: E402

pytest.importorskip("atheris", reason="atheris (the Python fuzzer) not installed: pip install 'edgesim[dev]'")


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_seed_is_parsed_or_rejected_cleanly(name: str) -> None:
    seeds = sorted(corpus_dir(name).iterdir())
    assert seeds, f"no committed seeds for {name}: run tests/fuzz/make_seeds.py"
    for seed in seeds:
        run_one(TARGETS[name], seed.read_bytes())


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_short_fuzz_run_finds_nothing(name: str, tmp_path: Path) -> None:
    # A fixed seed keeps CI reproducible; `make fuzz` explores with random seeds.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    result = subprocess.run([sys.executable, str(FUZZ / "py" / "fuzz.py"), name, "-seed=1", "-max_total_time=4",
                             "-timeout=10", str(corpus), str(corpus_dir(name))],
                            capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert result.returncode == 0 and not list(tmp_path.glob("crash-*")), result.stderr[-3000:]
    runs = re.findall(r"Done (\d+) runs", result.stderr)
    assert runs and int(runs[-1]) > 100, result.stderr[-2000:]
