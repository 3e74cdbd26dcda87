"""Classify many files at once: worker processes, or Ray workers across machines.

Every worker owns one target instance (one QEMU for the emulator), opened once
and reset between files, so a file's result does not depend on which worker ran
it: results come back in dataset order and equal a one-worker run.

Failures: when a file fails on a worker (its QEMU crashed, the worker process
died, the target raised) that worker's target is closed and reopened (or the
process restarted) and the file is retried once, on another worker when there
is one.  A file that fails twice is reported with its error; nothing is
dropped.  Every retry is reported too (``Retry``).

    results, retries = evaluate_files(app, "emulator", {}, paths, workers=4, on_done=print)

Backends: ``ProcessBackend`` (multiprocessing; ``InlineBackend`` for one worker) and ``RayBackend`` (``--cluster
ray`` or ``ray://HOST:PORT``; ``pip install edgesim[ray]``).  Both feed the
same ``Scheduler``, which owns ordering, retries and progress.
"""
from __future__ import annotations

import multiprocessing
import signal
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Sequence

from edgesim.app import App
from edgesim.errors import EdgesimError, TargetError

MAX_ATTEMPTS = 2  # the first run plus one retry


@dataclass(frozen=True)
class FileResult:
    """What one file gave: the last inference's top label, score and int8 scores, or the error."""

    prediction: str | None
    score: float | None
    raw: list[int] | None
    error: str | None = None


@dataclass(frozen=True)
class Retry:
    """A file that failed on a worker and was run again."""

    file: str
    worker: int
    error: str


class FileEvaluator:
    """One target instance that classifies files one at a time; reopened after any failure."""

    def __init__(self, app: App, target_name: str, options: dict[str, Any]) -> None:
        self.app, self.target_name, self.options = app, target_name, options
        self.target: Any = None

    def evaluate(self, path: str) -> FileResult:
        from edgesim.evaluation import last_inference, run_stream
        from edgesim.targets import create_target

        try:
            if self.target is None:
                self.target = create_target(self.target_name, **self.options)
                self.target.open(self.app)
            inference = last_inference(run_stream(self.app, self.target, path))
        except BaseException:
            self.close()  # a target that failed mid-stream is in an unknown state: start a fresh one
            raise
        if inference is None:
            return FileResult(None, None, None)
        return FileResult(inference.top, round(inference.top_score, 6), list(inference.raw))

    def close(self) -> None:
        target, self.target = self.target, None
        if target is not None:
            try:
                target.close()
            except EdgesimError:
                pass  # it already failed; the error that matters was raised by evaluate()


def describe(error: BaseException) -> str:
    return str(error) if isinstance(error, EdgesimError) else f"{type(error).__name__}: {error}"


# ------------------------------------------------------------------------------------ scheduling
@dataclass
class _Job:
    index: int
    path: str
    attempts: int = 0
    failed_on: int | None = None


Outcome = tuple[int, int, FileResult | None, str | None]  # worker, job index, result, error


class Scheduler:
    """Hands files to idle workers, retries failures once elsewhere, calls back as files finish."""

    def __init__(self, backend: "Backend",
                 on_done: Callable[[int, str, FileResult], None] | None = None,
                 on_retry: Callable[[Retry], None] | None = None) -> None:
        self.backend = backend
        self.on_done = on_done
        self.on_retry = on_retry
        self.retries: list[Retry] = []

    def run(self, paths: Sequence[str]) -> list[FileResult]:
        results: list[FileResult | None] = [None] * len(paths)
        queue = deque(_Job(i, p) for i, p in enumerate(paths))
        jobs: dict[int, _Job] = {}
        idle = deque(range(self.backend.size))
        while queue or jobs:
            for worker in list(idle):
                job = self._next_for(worker, queue)
                if job is not None:
                    idle.remove(worker)
                    job.attempts += 1
                    jobs[job.index] = job
                    self.backend.submit(worker, job.index, job.path)
            for worker, index, result, error in self.backend.wait():
                idle.append(worker)
                job = jobs.pop(index)
                if error is None and result is not None:
                    self._finish(results, job, result)
                elif job.attempts < MAX_ATTEMPTS:
                    retry = Retry(job.path, worker, error or "no result")
                    self.retries.append(retry)
                    if self.on_retry:
                        self.on_retry(retry)
                    job.failed_on = worker
                    queue.appendleft(job)
                else:
                    self._finish(results, job, FileResult(None, None, None, error))
        return [r for r in results if r is not None]

    def _next_for(self, worker: int, queue: deque[_Job]) -> _Job | None:
        """The first queued job this worker may take: a retry waits for another worker, unless there is one only."""
        for job in queue:
            if job.failed_on != worker or self.backend.size == 1:
                queue.remove(job)
                return job
        return None

    def _finish(self, results: list[FileResult | None], job: _Job, result: FileResult) -> None:
        results[job.index] = result
        if self.on_done:
            self.on_done(job.index, job.path, result)


class Backend:
    """Workers numbered 0..size-1: submit one file to an idle worker; wait() returns finished ones."""

    size: int

    def submit(self, worker: int, index: int, path: str) -> None:
        raise NotImplementedError

    def wait(self) -> list[Outcome]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> "Backend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------ in-process (1 worker)
class InlineBackend(Backend):
    """One worker in this process: --workers 1, no process start-up cost."""

    size = 1

    def __init__(self, app: App, target_name: str, options: dict[str, Any]) -> None:
        self.evaluator = FileEvaluator(app, target_name, options)
        self._done: list[Outcome] = []

    def submit(self, worker: int, index: int, path: str) -> None:
        try:
            self._done.append((worker, index, self.evaluator.evaluate(path), None))
        except Exception as error:  # KeyboardInterrupt stops the run
            self._done.append((worker, index, None, describe(error)))

    def wait(self) -> list[Outcome]:
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        self.evaluator.close()


# ------------------------------------------------------------------------------------ processes
def _exit_on_term(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _process_main(connection: Connection, app: App, target_name: str, options: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, _exit_on_term)  # terminate(): still close the target (stop its QEMU)
    evaluator = FileEvaluator(app, target_name, options)
    try:
        while (message := connection.recv()) is not None:
            index, path = message
            try:
                connection.send((index, evaluator.evaluate(path), None))
            except Exception as error:
                connection.send((index, None, describe(error)))
    except EOFError:
        pass  # the parent went away
    finally:
        evaluator.close()


class ProcessBackend(Backend):
    """``size`` worker processes, each with its own target; a dead process is restarted."""

    def __init__(self, app: App, target_name: str, options: dict[str, Any], size: int) -> None:
        self.args = (app, target_name, options)
        self.size = size
        # fork starts a worker in milliseconds with edgesim already imported (the parent holds no target
        # or thread of its own at this point); spawn where fork does not exist.
        methods = multiprocessing.get_all_start_methods()
        self._context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._workers: list[tuple[Any, Connection]] = [self._start() for _ in range(size)]
        self._running: dict[int, int] = {}  # worker -> job index

    def _start(self) -> tuple[Any, Connection]:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_process_main, args=(child, *self.args), daemon=True)
        process.start()
        child.close()
        return process, parent

    def pids(self) -> list[int]:
        return [process.pid for process, _ in self._workers]

    def submit(self, worker: int, index: int, path: str) -> None:
        self._running[worker] = index
        try:
            self._workers[worker][1].send((index, path))
        except (BrokenPipeError, OSError):
            pass  # wait() sees the dead process and reports the file as failed

    def wait(self) -> list[Outcome]:
        by_handle = {}
        for worker in self._running:
            process, connection = self._workers[worker]
            by_handle[connection] = worker
            by_handle[process.sentinel] = worker
        done: list[Outcome] = []
        for handle in wait(list(by_handle)):
            worker = by_handle[handle]
            if worker not in self._running:
                continue  # its connection and sentinel were both ready
            process, connection = self._workers[worker]
            try:
                if connection.poll():
                    index, result, error = connection.recv()
                    done.append((worker, self._running.pop(worker), result, error))
                    continue
            except (EOFError, OSError):
                pass
            if process.is_alive():
                continue
            done.append((worker, self._running.pop(worker), None,
                         f"worker process {process.pid} died (exit code {process.exitcode})"))
            connection.close()
            self._workers[worker] = self._start()
        return done

    def close(self) -> None:
        for process, connection in self._workers:
            try:
                connection.send(None)
            except (BrokenPipeError, OSError):
                pass
        deadline = time.monotonic() + 10
        for process, connection in self._workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(5)
            connection.close()


# ------------------------------------------------------------------------------------------ Ray
class RayBackend(Backend):
    """Ray actors, each with its own target; ``address`` "ray" starts Ray on this machine."""

    def __init__(self, app: App, target_name: str, options: dict[str, Any], address: str,
                 size: int | None) -> None:
        try:
            import ray
        except ImportError:
            raise TargetError("--cluster needs Ray: pip install 'edgesim[ray]'") from None
        self.ray = ray
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            try:
                if address == "ray":
                    ray.init(include_dashboard=False, logging_level="ERROR", log_to_driver=False)
                else:
                    ray.init(address=address, logging_level="ERROR", log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise TargetError(f"cannot connect to the Ray cluster {address}: {error}") from None
        self.size = size or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._actor_class = ray.remote(num_cpus=1, max_restarts=0)(FileEvaluator)
        self.args = (app, target_name, options)
        self._actors = [self._actor_class.remote(*self.args) for _ in range(self.size)]
        self._running: dict[Any, tuple[int, int]] = {}  # object ref -> (worker, job index)

    def submit(self, worker: int, index: int, path: str) -> None:
        self._running[self._actors[worker].evaluate.remote(path)] = (worker, index)

    def wait(self) -> list[Outcome]:
        ready, _ = self.ray.wait(list(self._running), num_returns=1)
        done: list[Outcome] = []
        for ref in ready:
            worker, index = self._running.pop(ref)
            try:
                done.append((worker, index, self.ray.get(ref), None))
            except self.ray.exceptions.RayActorError as error:
                done.append((worker, index, None, f"Ray worker died: {error}"))
                self._actors[worker] = self._actor_class.remote(*self.args)
            except self.ray.exceptions.RayTaskError as error:
                cause = error.cause if isinstance(getattr(error, "cause", None), BaseException) else error
                done.append((worker, index, None, describe(cause)))
        return done

    def close(self) -> None:
        for actor in self._actors:
            try:
                self.ray.get(actor.close.remote(), timeout=30)
            except Exception:
                pass  # a dead actor has nothing to close
            self.ray.kill(actor)
        if self._owns_ray:
            self.ray.shutdown()


def make_backend(app: App, target_name: str, options: dict[str, Any], workers: int,
                 cluster: str | None = None, explicit_workers: bool = True) -> Backend:
    if cluster:
        return RayBackend(app, target_name, options, cluster, workers if explicit_workers else None)
    if workers <= 1:
        return InlineBackend(app, target_name, options)
    return ProcessBackend(app, target_name, options, workers)


def evaluate_files(app: App, target_name: str, options: dict[str, Any], paths: Sequence[str], *,
                   workers: int = 1, cluster: str | None = None, explicit_workers: bool = True,
                   on_done: Callable[[int, str, FileResult], None] | None = None,
                   on_retry: Callable[[Retry], None] | None = None) -> tuple[list[FileResult], list[Retry]]:
    """Every file's result in ``paths`` order, plus the retries that happened."""
    workers = max(1, min(workers, len(paths))) if not cluster else workers
    with make_backend(app, target_name, options, workers, cluster, explicit_workers) as backend:
        scheduler = Scheduler(backend, on_done, on_retry)
        return scheduler.run(paths), scheduler.retries


class Progress:
    """``done/total files, rate, ETA`` on one stderr line (when it is a terminal), plus retries as lines."""

    def __init__(self, total: int, stream: Any, live: bool) -> None:
        self.total, self.stream, self.live = total, stream, live
        self.done = 0
        self.start = time.monotonic()

    def file_done(self, index: int, path: str, result: FileResult) -> None:
        self.done += 1
        if result.error is not None:
            print(f"\nedgesim: {path} failed twice, reported as an error: {result.error}", file=self.stream)
        elapsed = time.monotonic() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate else 0.0
        line = f"{self.done}/{self.total} files  {rate:.1f} files/s  ETA {_duration(eta)}"
        if self.live:
            print(f"\r{line}  ", end="\n" if self.done == self.total else "", file=self.stream, flush=True)
        elif self.total >= 100 and self.done * 10 // self.total != (self.done - 1) * 10 // self.total:
            print(line, file=self.stream, flush=True)  # a log (CI): one line per tenth of a long run

    def retry(self, retry: Retry) -> None:
        print(f"\nedgesim: retrying {retry.file} on another worker (worker {retry.worker}: {retry.error})",
              file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"

