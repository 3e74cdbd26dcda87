"""Runs a firmware image in QEMU's mps2-an386 (Cortex-M4F) and talks to it.

Two ways to run an image; QEMU is always killed at the end, whatever happens:

    from edgesim.mcu.qemu import QemuMachine, run_bulk
    with QemuMachine(elf) as machine:              # UART on a socket: interactive frames
        link = Link(machine, timeout=10)           # QemuMachine is a protocol Transport
        ...
    result = run_bulk(elf, frames, timeout=60)     # semihosting files: bulk frames in, frames out
    result.exit_code, result.output

The UART path carries ~15-20 KiB/s (QEMU moves one byte per main-loop pass);
the bulk path reads/writes host files through semihosting at >300 MB/s with
the same firmware.  Virtual time runs with ``-icount shift=0`` (1 ns per
instruction), which makes the board timer an instruction counter and every
run deterministic.  A firmware that crashes reports its fault registers in a
FAULT frame and exits with code 3; one that hangs is killed at the timeout.
"""
from __future__ import annotations

import hashlib
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from edgesim import resources
from edgesim.errors import TargetError

QEMU = "qemu-system-arm"
INSTALL_HINT = "install it: sudo apt-get install --no-install-recommends qemu-system-arm"
EXIT_FAULT = 3
BOOT_TIMEOUT_S = 10.0


def qemu_binary() -> str:
    path = shutil.which(QEMU)
    if path is None:
        raise TargetError(f"{QEMU} not found on PATH; {INSTALL_HINT}")
    return path


def qemu_command(elf: Path, serial: str, semihosting_args: Sequence[str] = (),
                 plugin: str | None = None) -> list[str]:
    """The qemu-system-arm command line for one run of `elf`."""
    semihosting = "enable=on,target=native" + "".join(f",arg={a}" for a in (str(elf), *semihosting_args))
    cmd = [qemu_binary(), "-M", "mps2-an386", "-nographic", "-monitor", "none", "-icount", "shift=0",
           "-semihosting-config", semihosting, "-kernel", str(elf), "-serial", serial]
    if plugin:
        cmd += ["-plugin", plugin]
    return cmd


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not fail
        pass


class QemuMachine:
    """QEMU running `elf` with UART0 on a Unix socket; a protocol Transport.

    QEMU waits (server=on,wait=on) until we connect, so nothing the firmware
    sends at boot is lost.  read() raises TargetError naming the exit code
    and QEMU's stderr once QEMU is gone.
    """

    def __init__(self, elf: Path, plugin: str | None = None, boot_timeout: float = BOOT_TIMEOUT_S) -> None:
        self.elf = Path(elf)
        if not self.elf.is_file():
            raise TargetError(f"firmware image {self.elf} not found")
        self._dir = tempfile.TemporaryDirectory(prefix="edgesim-qemu-")
        sock_path = Path(self._dir.name) / "uart.sock"
        self._stderr = open(Path(self._dir.name) / "stderr.txt", "w+b")
        chardev = f"socket,id=uart,path={sock_path},server=on,wait=on"
        cmd = qemu_command(self.elf, "chardev:uart", plugin=plugin)
        cmd[cmd.index("-serial"):cmd.index("-serial")] = ["-chardev", chardev]
        self.command = cmd
        self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=self._stderr, start_new_session=True)
        self._sock: socket.socket | None = None
        self._pending = bytearray()  # received while a write was waiting
        try:
            self._sock = self._connect(sock_path, boot_timeout)
        except BaseException:
            self.close()
            raise

    def _connect(self, path: Path, timeout: float) -> socket.socket:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise TargetError(f"QEMU exited at start (code {self.process.returncode}): {self.stderr_text()}")
            if path.exists():
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.connect(str(path))
                    return sock
                except OSError:
                    sock.close()
            time.sleep(0.01)
        raise TargetError(f"QEMU did not open its UART socket within {timeout:.0f} s")

    def stderr_text(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").splitlines()
        text = "\n".join(line for line in lines if "QEMU waiting for connection" not in line).strip()
        return text[-2000:] or "(no output)"

    def exit_description(self) -> str:
        code = self.process.returncode
        if code == EXIT_FAULT:
            return "firmware took a fault (exit code 3)"
        return f"QEMU exited with code {code}" + (f": {self.stderr_text()}" if code else "")

    def read(self, max_bytes: int, timeout: float) -> bytes:
        assert self._sock is not None
        if self._pending:
            data = bytes(self._pending[:max_bytes])
            del self._pending[:max_bytes]
            return data
        ready, _, _ = select.select([self._sock], [], [], max(0.0, timeout))
        if not ready:
            if self.process.poll() is not None:
                raise TargetError(self.exit_description())
            return b""
        data = self._sock.recv(max_bytes)
        if not data:
            self._raise_exited("unexpectedly")
        return data

    def write(self, data: bytes, timeout: float = 60.0) -> None:
        """Sends all of data.  While QEMU is not taking input (the firmware is
        busy), whatever it sends is read into a buffer, so neither side can
        block the other forever; TargetError after `timeout` s without progress."""
        assert self._sock is not None
        view = memoryview(data)
        deadline = time.monotonic() + timeout
        while view:
            readable, writable, _ = select.select([self._sock], [self._sock], [], 0.5)
            if readable:
                chunk = self._sock.recv(65536)
                if not chunk:
                    self._raise_exited("while sending")
                self._pending += chunk
            if writable:
                try:
                    sent = self._sock.send(view[:65536])
                except OSError as error:
                    self._raise_exited(f"while sending ({error})")
                view = view[sent:]
                deadline = time.monotonic() + timeout
            elif time.monotonic() > deadline:
                raise TargetError(f"the firmware took no input for {timeout:.0f} s (hang?)")

    def _raise_exited(self, when: str) -> None:
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            raise TargetError(f"QEMU closed the UART {when} but did not exit") from None
        raise TargetError(self.exit_description())

    def wait(self, timeout: float) -> int:
        """Exit code of the firmware; TargetError (and QEMU killed) after `timeout` s."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.close()
            raise TargetError(f"firmware did not exit within {timeout:.0f} s (hang?); QEMU killed") from None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        _kill(self.process)
        self._stderr.close()
        self._dir.cleanup()

    def __enter__(self) -> "QemuMachine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class QemuPipeMachine:
    """QEMU running `elf` with its protocol channel on semihosting files that
    are named pipes: the bulk channel's speed, with a session that stays up
    (frames in and answers out while it runs, CONFIG between streams, no boot
    per file).  A protocol Transport, like QemuMachine; the channel cannot
    lose bytes, so the firmware sends no acknowledgements on it.
    """

    def __init__(self, elf: Path, boot_timeout: float = BOOT_TIMEOUT_S) -> None:
        self.elf = Path(elf)
        if not self.elf.is_file():
            raise TargetError(f"firmware image {self.elf} not found")
        self._dir = tempfile.TemporaryDirectory(prefix="edgesim-qemu-")
        folder = Path(self._dir.name)
        in_path, out_path = folder / "in.fifo", folder / "out.fifo"
        os.mkfifo(in_path)
        os.mkfifo(out_path)
        # O_RDWR: neither open waits for the other end, and the firmware never reads end-of-file.
        self._to_fw = os.open(in_path, os.O_RDWR | os.O_NONBLOCK)
        self._from_fw = os.open(out_path, os.O_RDWR | os.O_NONBLOCK)
        self._stderr = open(folder / "stderr.txt", "w+b")
        self.command = qemu_command(self.elf, "null", [f"in={in_path}", f"out={out_path}"])
        self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=self._stderr, start_new_session=True)
        self._pending = bytearray()  # received while a write was waiting

    def exit_description(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()[-2000:]
        code = self.process.returncode
        if code == EXIT_FAULT:
            return "firmware took a fault (exit code 3)"
        return f"QEMU exited with code {code}" + (f": {text}" if text else "")

    def read(self, max_bytes: int, timeout: float) -> bytes:
        if self._pending:
            data = bytes(self._pending[:max_bytes])
            del self._pending[:max_bytes]
            return data
        ready, _, _ = select.select([self._from_fw], [], [], max(0.0, timeout))
        if not ready:
            if self.process.poll() is not None:
                raise TargetError(self.exit_description())
            return b""
        return os.read(self._from_fw, max_bytes)

    def write(self, data: bytes, timeout: float = 60.0) -> None:
        """All of data; meanwhile reads what the firmware sends (each side may wait for the other)."""
        view = memoryview(data)
        deadline = time.monotonic() + timeout
        while view:
            readable, writable, _ = select.select([self._from_fw], [self._to_fw], [], 0.5)
            if readable:
                self._pending += os.read(self._from_fw, 1 << 16)
            if writable:
                try:
                    sent = os.write(self._to_fw, view[:1 << 16])
                except BlockingIOError:
                    sent = 0
                view = view[sent:]
                if sent:
                    deadline = time.monotonic() + timeout
            if self.process.poll() is not None:
                raise TargetError(self.exit_description())
            if time.monotonic() > deadline:
                raise TargetError(f"the firmware took no input for {timeout:.0f} s (hang?)")

    def close(self) -> None:
        _kill(self.process)
        for fd in (self._to_fw, self._from_fw):
            try:
                os.close(fd)
            except OSError:
                pass
        self._stderr.close()
        self._dir.cleanup()

    def __enter__(self) -> "QemuPipeMachine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


PLUGIN_SOURCE = resources.firmware_dir() / "tools" / "insn_count.c"
MARK_SYMBOLS = ("es_mark_preprocess", "es_mark_invoke", "es_mark_postprocess", "es_mark_idle", "es_mark_report")
OPTIONAL_MARK_SYMBOLS = ("es_mark_op",)  # per-operator boundaries (the model runner)


def counting_plugin() -> Path:
    """The instruction-counting TCG plugin (firmware/tools/insn_count.c), built
    with the host's gcc on first use and cached by source hash."""
    from edgesim.mcu.firmware_builder import cache_root

    source = PLUGIN_SOURCE.read_bytes()
    target = cache_root() / "tools" / f"insn_count-{hashlib.sha256(source).hexdigest()[:16]}.so"
    if target.exists():
        return target
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        raise TargetError("building the instruction-counting QEMU plugin needs gcc on PATH")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    result = subprocess.run([cc, "-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-o", str(tmp), str(PLUGIN_SOURCE)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise TargetError(f"building {PLUGIN_SOURCE.name} failed:\n{result.stderr.strip()}")
    os.replace(tmp, target)
    return target


def plugin_argument(elf: Path, out: Path) -> str:
    """-plugin value that counts `elf`'s stages into `out` (see insn_count.c)."""
    symbols = {}
    nm = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in MARK_SYMBOLS + OPTIONAL_MARK_SYMBOLS:
            symbols[parts[2]] = parts[0]
    missing = [s for s in MARK_SYMBOLS if s not in symbols]
    if missing:
        raise TargetError(f"{elf} has no stage markers {', '.join(missing)} (not an edgesim app image?)")
    marks = ":".join(symbols[s] for s in MARK_SYMBOLS + OPTIONAL_MARK_SYMBOLS if s in symbols)
    return f"{counting_plugin()},marks={marks},out={out}"


def parse_counts(text: str) -> tuple[list[tuple[int, int, int]], int, list[list[int]]]:
    """(per-inference (preprocess, invoke, postprocess) counts, total,
    per-inference operator counts) from the plugin's output."""
    per_inference: list[tuple[int, int, int]] = []
    per_op: list[list[int]] = []
    total = 0
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["total"]:
            total = int(parts[1])
        elif parts[:1] == ["ops"]:
            per_op.append([int(p) for p in parts[1:]])
        elif len(parts) == 3:
            per_inference.append((int(parts[0]), int(parts[1]), int(parts[2])))
    return per_inference, total, per_op


@dataclass(frozen=True)
class BulkResult:
    """What a semihosting run gave: exit code, the firmware's frames, and -
    with count_instructions - exact per-inference stage counts."""

    exit_code: int
    output: bytes
    seconds: float
    counts: list[tuple[int, int, int]] | None = None
    total_instructions: int = 0
    op_counts: list[list[int]] | None = None


def run_bulk(elf: Path, frames: bytes, timeout: float, count_instructions: bool = False) -> BulkResult:
    """Runs `elf` with its protocol channel on semihosting files: `frames` in,
    the firmware's frames out.  TargetError if it does not exit in `timeout` s.
    count_instructions loads the counting plugin (exact counts per stage)."""
    with tempfile.TemporaryDirectory(prefix="edgesim-bulk-") as tmp:
        in_path, out_path = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        counts_path = Path(tmp) / "counts.txt"
        in_path.write_bytes(frames)
        plugin = plugin_argument(Path(elf), counts_path) if count_instructions else None
        cmd = qemu_command(Path(elf), "null", [f"in={in_path}", f"out={out_path}"], plugin=plugin)
        start = time.monotonic()
        process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise TargetError(f"firmware did not finish within {timeout:.0f} s (hang?); QEMU killed") from None
        finally:
            _kill(process)
        output = out_path.read_bytes() if out_path.exists() else b""
        if process.returncode not in (0, EXIT_FAULT, 1) and not output:
            raise TargetError(f"QEMU exited with code {process.returncode}: "
                              f"{stderr.decode(errors='replace').strip()[-2000:] or '(no output)'}")
        counts, total, op_counts = parse_counts(counts_path.read_text()) if counts_path.exists() else (None, 0, None)
        return BulkResult(process.returncode, output, time.monotonic() - start, counts, total, op_counts)
