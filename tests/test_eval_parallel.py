"""`edgesim eval --workers N` and `--cluster`: same results as one worker, in order; failures retried and reported."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import STRICT, shared_path
from edgesim.cli import main
from edgesim.evaluation import evaluate_folder
from edgesim.evaluation.datasets import find_labelled_files
from firmware_support import require_firmware_tools


@pytest.fixture(autouse=True)
def local_models(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGESIM_MODELS", str(models_dir))


def strokes(tmp_path: Path, count: int) -> Path:
    """A labels.csv dataset of ``count`` real magic-wand strokes spread over the digits."""
    real = shared_path("testdata", "magic_wand", "real")
    rows = (real / "labels.csv").read_text().splitlines()[1:]
    chosen = [rows[i] for i in range(0, len(rows), max(1, len(rows) // count))][:count]
    for row in chosen:
        name = row.split(",")[0]
        (tmp_path / name).symlink_to(real / name)
    (tmp_path / "labels.csv").write_text("file,label\n" + "\n".join(",".join(r.split(",")[:2]) for r in chosen) + "\n")
    return tmp_path


def eval_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code = main(["eval", *argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_two_workers_equal_one(testdata_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dataset = str(testdata_dir / "magic_wand" / "real")
    one = eval_json(capsys, "gesture", dataset, "--workers", "1")
    assert main(["eval", "gesture", dataset, "--workers", "2", "--json"]) == 0
    captured = capsys.readouterr()
    two = json.loads(captured.out)
    # Not a terminal: progress with rate and ETA once per tenth of the run, as results stream back.
    progress = [line for line in captured.err.splitlines() if " files/s  ETA " in line]
    assert len(progress) == 10 and progress[-1].startswith("100/100 files")
    assert one["files"] == 100 and one["accuracy"] == 1.0
    assert two == one  # same predictions, int8 scores and order; no retries on either
    assert two["retries"] == [] and two["errors"] == 0


def _descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command name) of every live process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    names = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        parent = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
        names[int(entry.name)] = name
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append((child, names[child]))
            todo.append(child)
    return found


def test_killed_qemu_is_retried_on_another_worker_and_reported(tmp_path: Path) -> None:
    require_firmware_tools()
    from edgesim.apps import load_app

    app = load_app("gesture")
    files = find_labelled_files(strokes(tmp_path, 6), app)
    reference = evaluate_folder(app, "host", {}, files, workers=1)
    killed: list[int] = []

    def kill_one_qemu(index: int, path: str, result: object) -> None:
        if killed:
            return
        for _ in range(200):  # the other worker's QEMU is up (it is busy with its file) within seconds
            qemus = [pid for pid, name in _descendants(os.getpid()) if name.startswith("qemu-system")]
            if len(qemus) >= 2:
                break
            time.sleep(0.05)
        os.kill(qemus[-1], signal.SIGKILL)
        killed.append(qemus[-1])

    report = evaluate_folder(app, "emulator", {}, files, workers=2, on_done=kill_one_qemu)
    assert killed
    assert len(report.retries) == 1 and report.retries[0].file in {str(f.path) for f in files}
    assert report.errors == []
    assert report.results == reference.results  # bit-exact with the host, in dataset order
    assert report.format().count("retried on another worker") == 1


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_cluster(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A Ray head on 127.0.0.1 with two CPUs, started here and stopped by its process group."""
    ray = Path(sys.executable).parent / "ray"
    if not ray.exists():
        message = "Ray is not installed (pip install 'edgesim[ray]')"
        pytest.fail(message) if STRICT else pytest.skip(message)
    gcs, client = _free_port(), _free_port()
    env = {**os.environ, "EDGESIM_MODELS": str(models_dir), "RAY_USAGE_STATS_ENABLED": "0",
           "RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S": "300"}  # a loaded CI machine starts it slowly
    temp = tmp_path_factory.mktemp("ray")
    head = subprocess.Popen([str(ray), "start", "--head", "--block", "--node-ip-address=127.0.0.1",
                             f"--port={gcs}", f"--ray-client-server-port={client}", "--num-cpus=2",
                             "--include-dashboard=false", f"--temp-dir={temp}", "--disable-usage-stats"],
                            env=env, stdout=subprocess.DEVNULL, stderr=(temp / "head.err").open("w"),
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if _listening(gcs) and _listening(client):
                break
            assert head.poll() is None, f"ray start --head exited: {(temp / 'head.err').read_text()[-2000:]}"
            time.sleep(0.5)
        else:
            pytest.fail("the Ray head did not come up within 120 s")
        # The driver joins through the head's GCS address, as on a cluster node.  (ray://HOST:PORT goes
        # through the Ray client server, which the same code also accepts; on a heavily loaded machine that
        # server's per-client process can miss Ray's start-up deadline, so the test does not depend on it.)
        yield f"127.0.0.1:{gcs}"
    finally:
        import ray as ray_module

        ray_module.shutdown()
        try:
            os.killpg(head.pid, signal.SIGTERM)  # the head and the Ray processes it started, nothing else
            head.wait(60)
        except ProcessLookupError:
            head.wait()  # it had already exited (the assertion above says why)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()


def test_ray_cluster_equals_local_run(ray_cluster: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dataset = str(strokes(tmp_path, 10))
    local = eval_json(capsys, "gesture", dataset, "--workers", "1")
    remote = eval_json(capsys, "gesture", dataset, "--cluster", ray_cluster)
    assert remote["files"] == 10 and remote == local


class ScriptedBackend:
    """Scripted workers: a file in ``flaky`` fails on its first run only, one in ``broken`` on every run."""

    def __init__(self, size: int, flaky: set[str] = set(), broken: set[str] = set()) -> None:
        self.size, self.flaky, self.broken = size, flaky, broken
        self.runs: list[tuple[int, str]] = []
        self._pending: list = []

    def submit(self, worker: int, index: int, path: str) -> None:
        from edgesim.evaluation.parallel import FileResult

        first = all(p != path for _, p in self.runs)
        self.runs.append((worker, path))
        error = "bad file" if path in self.broken else "QEMU exited" if path in self.flaky and first else None
        self._pending.append((worker, index, None if error else FileResult(path.upper(), 1.0, [1]), error))

    def wait(self) -> list:
        done, self._pending = self._pending[-1:], self._pending[:-1]  # finish out of order: newest first
        return done

    def workers_of(self, path: str) -> list[int]:
        return [w for w, p in self.runs if p == path]


def test_scheduler_retries_once_elsewhere_reports_double_failures_and_keeps_order() -> None:
    from edgesim.evaluation.parallel import Scheduler

    backend = ScriptedBackend(2, flaky={"b"}, broken={"d"})
    finished: list[str] = []
    scheduler = Scheduler(backend, on_done=lambda index, path, result: finished.append(path))
    results = scheduler.run(["a", "b", "c", "d"])
    assert [r.prediction for r in results] == ["A", "B", "C", None]  # dataset order, whatever finished first
    assert results[3].error == "bad file"  # failed on both workers: reported, not dropped
    assert sorted((r.file, r.error) for r in scheduler.retries) == [("b", "QEMU exited"), ("d", "bad file")]
    for path in ("b", "d"):
        assert len(backend.workers_of(path)) == 2 and len(set(backend.workers_of(path))) == 2  # once more, elsewhere
    assert backend.workers_of("a") == [backend.workers_of("a")[0]] and sorted(finished) == ["a", "b", "c", "d"]


def test_single_worker_retries_on_itself() -> None:
    from edgesim.evaluation.parallel import Scheduler

    backend = ScriptedBackend(1, broken={"x"})
    scheduler = Scheduler(backend)
    results = scheduler.run(["x"])
    assert results[0].error == "bad file" and backend.workers_of("x") == [0, 0] and len(scheduler.retries) == 1
