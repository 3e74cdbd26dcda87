"""edgesim as users install it: a wheel and an sdist, each in a fresh venv outside the checkout.

From there every command that needs files beyond Python modules (the firmware
sources, the QEMU counting plugin, the apps) must work, nothing but `edgesim`
may be installed top-level, and the build cache must live in the user's
cache folder, not in site-packages.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import REPO_ROOT, shared_path
from firmware_support import require_firmware_tools

APPS = ("wake_word", "person_detection", "gesture")
BOARDS = ("mps2-an386", "nano33ble")
SOURCES = {
    "wake_word": ("testdata", "micro_speech", "yes_1000ms.wav"),
    "person_detection": ("testdata", "person_detection", "person.bmp"),
    "gesture": ("testdata", "magic_wand", "stroke_digit3.csv"),
}


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 900) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def fresh_venv(folder: Path, package: Path) -> Path:
    """A venv with only `package` (and what it depends on) installed; its bin folder."""
    venv.create(folder, with_pip=True)
    bin_dir = folder / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "-q", str(package), cwd=folder)
    return bin_dir


class Installed:
    """An installed edgesim: runs its `edgesim` command in a folder away from the checkout."""

    def __init__(self, bin_dir: Path, workdir: Path, cache: Path) -> None:
        self.bin_dir, self.workdir = bin_dir, workdir
        self.env = {**os.environ, "EDGESIM_MODELS": str(shared_path("models")), "EDGESIM_CACHE": str(cache)}
        self.env.pop("PYTHONPATH", None)

    def edgesim(self, *args: str) -> subprocess.CompletedProcess:
        return run(self.bin_dir / "edgesim", *args, cwd=self.workdir, env=self.env)

    def python(self, code: str) -> str:
        return run(self.bin_dir / "python", "-c", code, cwd=self.workdir, env=self.env).stdout


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, REPO_ROOT, cwd=out)
    run(sys.executable, "-m", "build", "--sdist", "--outdir", out, REPO_ROOT, cwd=out)
    (wheel,) = out.glob("edgesim-*.whl")
    (sdist,) = out.glob("edgesim-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def install(kind: str, dists: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp(f"{kind}-install")
    workdir = root / "work"
    # A user's folder with its own apps/ package must not shadow edgesim's apps.
    (workdir / "apps").mkdir(parents=True)
    (workdir / "apps" / "__init__.py").write_text("raise ImportError('the user project apps package')\n")
    return Installed(fresh_venv(root / "venv", dists[kind]), workdir, root / "cache")


@pytest.fixture(scope="module")
def from_wheel(dists: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return install("wheel", dists, tmp_path_factory)


def test_the_wheel_installs_only_the_edgesim_package(from_wheel: Installed) -> None:
    installed = json.loads(from_wheel.python(
        "import importlib.metadata as m, json; d = m.distribution('edgesim');"
        "print(json.dumps([d.read_text('top_level.txt') or '', [str(f) for f in d.files]]))"))
    top_level, paths = installed
    assert top_level.split() == ["edgesim"]
    outside = [p for p in paths if not p.startswith(("edgesim/", "edgesim-")) and "/bin/edgesim" not in p]
    assert outside == []
    for needed in ("edgesim/apps/wake_word.py", "edgesim/_data/firmware/app_main.c",
                   "edgesim/_data/firmware/tools/insn_count.c", "edgesim/_data/renode/wake_word.robot",
                   "edgesim/kernels/include/edgesim/config.h", "edgesim/ui/static/index.html"):
        assert needed in paths


def test_the_portable_audio_module_has_no_avx_and_both_builds_agree(from_wheel: Installed) -> None:
    if shutil.which("objdump") is None:
        pytest.fail("objdump (binutils) is needed to inspect the wheel's extension")
    site = Path(from_wheel.python("import edgesim, os; print(os.path.dirname(edgesim.__file__))").strip())
    (portable,) = site.glob("_audio.cpython*.so")
    disassembly = run("objdump", "-d", "--no-show-raw-insn", portable, cwd=site).stdout
    assert "%ymm" not in disassembly and "%zmm" not in disassembly
    same = from_wheel.python(
        "import numpy as np, importlib\n"
        "from edgesim.compute.cpu import has_avx2\n"
        "names = ['edgesim._audio'] + (['edgesim._audio_avx2'] if has_avx2() else [])\n"
        "x = np.random.default_rng(3).integers(-32768, 32767, 16000 * 3).astype(np.int16)\n"
        "outs = [importlib.import_module(n).Frontend().process(x) for n in names]\n"
        "print(has_avx2(), len(outs), all(bytes(outs[0]) == bytes(o) for o in outs), len(outs[0]))")
    avx2, count, equal, feature_bytes = same.split()
    assert count == ("2" if avx2 == "True" else "1") and equal == "True" and int(feature_bytes) > 40 * 100, same


def test_apps_listed_from_a_folder_with_its_own_apps_package(from_wheel: Installed) -> None:
    listed = from_wheel.edgesim("apps", "--json").stdout
    assert sorted(json.loads(line)["name"] for line in listed.splitlines()) == sorted(APPS)


def test_the_robot_keyword_library_loads_from_the_wheel(from_wheel: Installed) -> None:
    # renode-test imports renode/EdgesimFrames.py by path; installed, it must find edgesim's apps,
    # not the user's apps/ package in the working folder.
    module = from_wheel.python("import runpy, edgesim.resources as r\n"
                               "ns = runpy.run_path(str(r.renode_dir() / 'EdgesimFrames.py'))\n"
                               "print(ns['load_app'].__module__, ns['load_app']('gesture').name)")
    assert module.split() == ["edgesim.apps", "gesture"]


def test_firmware_builds_for_every_app_and_board_into_the_user_cache(from_wheel: Installed) -> None:
    require_firmware_tools()
    for app in APPS:
        for board in BOARDS:
            report = json.loads(from_wheel.edgesim("build", app, "--board", board, "--json").stdout)
            assert Path(report["elf"]).is_relative_to(from_wheel.env["EDGESIM_CACHE"]), report["elf"]


@pytest.mark.parametrize("app", APPS)
def test_apps_run_on_the_emulator_like_the_host(from_wheel: Installed, app: str) -> None:
    require_firmware_tools()
    source = str(shared_path(*SOURCES[app]))

    def events(target: str) -> list[dict]:
        lines = from_wheel.edgesim("run", app, "--source", source, "--json", "--target", target).stdout
        return [e for e in map(json.loads, lines.splitlines()) if e["type"] in ("inference", "detection")]

    host = events("host")
    assert host and events("emulator") == host


def test_eval_compares_emulator_with_host(from_wheel: Installed) -> None:
    require_firmware_tools()
    data = from_wheel.workdir / "strokes"
    for digit in ("0", "1", "3", "7"):
        (data / digit).mkdir(parents=True)
        shutil.copy(shared_path("testdata", "magic_wand", f"stroke_digit{digit}.csv"), data / digit)
    report = json.loads(from_wheel.edgesim("eval", "gesture", str(data), "--target", "emulator",
                                           "--compare", "host", "--json").stdout)
    assert report["compare"]["identical"] is True and report["files"] == 4


def test_the_sdist_builds_and_runs(dists: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> None:
    require_firmware_tools()
    from_sdist = install("sdist", dists, tmp_path_factory)
    assert "wake_word" in from_sdist.edgesim("apps").stdout
    # A photo through edgesim's own JPEG kernel: the core install has no OpenCV.
    assert "No module named 'cv2'" in subprocess.run([from_sdist.bin_dir / "python", "-c", "import cv2"],
                                                     capture_output=True, text=True).stderr
    photo = from_sdist.edgesim("run", "person_detection", "--source",
                               str(shared_path("testdata", "person_detection", "person.jpg")), "--json").stdout
    assert json.loads(photo.splitlines()[0])["top"] == "person"
    lines = from_sdist.edgesim("run", "gesture", "--source", str(shared_path(*SOURCES["gesture"])), "--json",
                               "--target", "emulator").stdout.splitlines()
    assert any(json.loads(line)["type"] == "inference" for line in lines)
