"""Renode profiler metrics (``machine EnableProfiler @file``): parse and plot, outside Colab.

    from edgesim.mcu.renode_metrics import read_metrics, plot_metrics
    metrics = read_metrics(Path("wake_word.dump"))
    metrics.summary()["instructions"]["cpu"]     # executed instructions at the end of the dump
    metrics.instructions["cpu"].points()          # [(virtual_ms, executed instructions so far), ...]
    plot_metrics(metrics, Path("plots/"))         # instructions.png memory.png peripherals.png exceptions.png

The dump is Renode's binary metrics format (the one renode's
tools/metrics_analyzer reads), little-endian:

    header   int32 cpu_count, then per cpu: int32 id, int32 name_len, name
             int32 peripheral_count, then per peripheral: int32 name_len, name,
             uint64 start_address, uint64 end_address
    entries  int64 real_time (100 ns ticks), float64 virtual_time (ms), uint8 type, then
             type 0 instructions: cpu id, uint64 executed instructions (cumulative);
                    the cpu id is a uint8 up to Renode v1.15.1 ("<BQ") and an int32
                    from v1.15.2 on ("<iQ"); the layout is recognised per file
             type 1 memory access: uint8 operation (2 read, 3 write)
             type 2 peripheral access: uint8 operation (0 read, 1 write), uint64 address
             type 3 exception: uint64 exception number

Dumps grow by millions of entries per emulated second (1.7 GB for a
wake-word robot run), so they are read in fixed-size blocks and every
series keeps at most MAX_POINTS points (every n-th event, n doubling as
needed): memory stays bounded whatever the dump's size, totals stay exact.

The plots are the four of renode-colab-tools: instructions per core, memory
reads/writes, peripheral reads/writes per peripheral, exceptions per number,
each a cumulative count over virtual time.
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from edgesim.errors import TargetError

ENTRY_HEADER = struct.Struct("<qdB")
INSTRUCTIONS, MEMORY, PERIPHERAL, EXCEPTION = range(4)
# The instructions entry's two layouts (Renode <= v1.15.1, >= v1.15.2).
INSTRUCTIONS_LAYOUTS = {"<BQ": struct.Struct("<BQ"), "<iQ": struct.Struct("<iQ")}
ENTRY_BODY = {MEMORY: struct.Struct("<B"), PERIPHERAL: struct.Struct("<BQ"), EXCEPTION: struct.Struct("<Q")}
LONGEST_ENTRY = ENTRY_HEADER.size + 12
MEMORY_READ, MEMORY_WRITE = 2, 3
PERIPHERAL_READ, PERIPHERAL_WRITE = 0, 1
TICKS_PER_MS = 10_000
MAX_POINTS = 4096
BLOCK_BYTES = 1 << 22


class Trace:
    """A cumulative count over virtual time, in at most MAX_POINTS points.

    ``events`` and ``value`` are exact; the points are every stride-th event
    (the stride doubles whenever the points would exceed MAX_POINTS).
    """

    def __init__(self) -> None:
        self.times: list[float] = []
        self.values: list[int] = []
        self.events = 0
        self.value = 0
        self._stride = 1

    def add(self, virtual_ms: float, value: int | None = None) -> None:
        """One event at virtual_ms; value is the new cumulative count (default: one more)."""
        self.events += 1
        self.value = self.events if value is None else value
        if self.events % self._stride == 0:
            self.times.append(virtual_ms)
            self.values.append(self.value)
            if len(self.times) > MAX_POINTS:
                del self.times[::2], self.values[::2]
                self._stride *= 2

    def points(self) -> list[tuple[float, int]]:
        return list(zip(self.times, self.values))


@dataclass
class Metrics:
    """Everything in one dump; times are virtual milliseconds."""

    cpus: dict[int, str]
    peripherals: dict[str, tuple[int, int]]
    instructions: dict[str, Trace] = field(default_factory=dict)
    memory_reads: Trace = field(default_factory=Trace)
    memory_writes: Trace = field(default_factory=Trace)
    peripheral_reads: dict[str, Trace] = field(default_factory=dict)
    peripheral_writes: dict[str, Trace] = field(default_factory=dict)
    exceptions: dict[int, Trace] = field(default_factory=dict)
    real_time_ms: float = 0.0
    virtual_time_ms: float = 0.0
    instructions_layout: str | None = None  # "<BQ" or "<iQ"; None without instruction entries
    cut_tail: bool = False  # the dump ended inside an entry (read with cut_tail_ok)

    def summary(self) -> dict[str, object]:
        """Totals for a report: instructions per core, access and exception counts."""
        return {
            "instructions": {cpu: trace.value for cpu, trace in self.instructions.items() if trace.events},
            "memory_reads": self.memory_reads.events,
            "memory_writes": self.memory_writes.events,
            "peripheral_reads": {name: t.events for name, t in self.peripheral_reads.items()},
            "peripheral_writes": {name: t.events for name, t in self.peripheral_writes.items()},
            "exceptions": {number: t.events for number, t in self.exceptions.items()},
        }


class _Reader:
    """The header: small reads straight from the stream."""

    def __init__(self, stream: BinaryIO, path: Path) -> None:
        self.stream = stream
        self.path = path

    def take(self, layout: struct.Struct, what: str) -> tuple:
        data = self.stream.read(layout.size)
        if len(data) != layout.size:
            raise TargetError(f"Renode metrics file {self.path} is truncated (in {what})")
        return layout.unpack(data)

    def name(self, what: str) -> str:
        (length,) = self.take(struct.Struct("<i"), what)
        if not 0 <= length <= 4096:
            raise TargetError(f"Renode metrics file {self.path} is corrupt ({what} name length {length})")
        return self.stream.read(length).decode("utf-8", "replace")


def read_metrics(path: Path, cut_tail_ok: bool = False) -> Metrics:
    """Parse a profiler dump; TargetError naming the problem when it is truncated or corrupt.

    cut_tail_ok: a dump whose entries end inside an entry is read up to there
    (Metrics.cut_tail): Renode stopped without flushing (edgesim.targets.renode
    stops it that way when the Monitor does not answer while profiling).
    """
    try:
        stream = open(path, "rb")
    except OSError as error:
        raise TargetError(f"cannot read Renode metrics file {path}: {error}") from None
    with stream:
        reader = _Reader(stream, path)
        int32 = struct.Struct("<i")
        (cpu_count,) = reader.take(int32, "header")
        if not 0 <= cpu_count <= 1024:
            raise TargetError(f"{path} is not a Renode metrics file (cpu count {cpu_count})")
        cpus = {}
        for _ in range(cpu_count):
            (cpu_id,) = reader.take(int32, "cpu list")
            cpus[cpu_id] = reader.name("cpu")
        (peripheral_count,) = reader.take(int32, "header")
        if not 0 <= peripheral_count <= 100_000:
            raise TargetError(f"{path} is not a Renode metrics file (peripheral count {peripheral_count})")
        peripherals = {}
        for _ in range(peripheral_count):
            name = reader.name("peripheral")
            peripherals[name] = reader.take(struct.Struct("<QQ"), "peripheral range")
        metrics = Metrics(cpus, peripherals)
        _read_entries(stream, path, metrics, cut_tail_ok)
    return metrics


def _plausible_header(data: bytes, offset: int, previous_ms: float) -> bool:
    """Whether an entry header can start at offset (or the data ends there)."""
    if offset == len(data):
        return True
    if offset + ENTRY_HEADER.size > len(data):
        return False
    _, virtual_ms, kind = ENTRY_HEADER.unpack_from(data, offset)
    return kind <= EXCEPTION and math.isfinite(virtual_ms) and virtual_ms >= previous_ms - 1e-6


def _instructions_layout(data: bytes, body: int, virtual_ms: float, cpus: dict[int, str]) -> struct.Struct | None:
    """The instructions layout whose cpu id is known and after which the next header makes sense."""
    for layout in INSTRUCTIONS_LAYOUTS.values():
        if body + layout.size > len(data):
            continue
        cpu_id, _ = layout.unpack_from(data, body)
        if (cpu_id in cpus or not cpus) and _plausible_header(data, body + layout.size, virtual_ms):
            return layout
    return None


class _Cut(Exception):
    """The entries end inside an entry."""


def _read_entries(stream: BinaryIO, path: Path, metrics: Metrics, cut_tail_ok: bool) -> None:
    try:
        _read_all_entries(stream, path, metrics)
    except _Cut:
        if not cut_tail_ok:
            raise TargetError(f"Renode metrics file {path} is truncated (it ends inside an entry)") from None
        metrics.cut_tail = True


def _read_all_entries(stream: BinaryIO, path: Path, metrics: Metrics) -> None:
    def trace(table: dict[Any, Trace], key: Any) -> Trace:
        found = table.get(key)
        if found is None:
            found = table[key] = Trace()
        return found

    ranges = sorted((start, end, name) for name, (start, end) in metrics.peripherals.items())
    names_at: dict[int, str] = {}  # address -> peripheral name (few distinct addresses)

    def peripheral_at(address: int) -> str:
        name = names_at.get(address)
        if name is None:
            name = next((n for start, end, n in ranges if start <= address <= end), f"0x{address:08x}")
            names_at[address] = name
        return name

    header, memory, peripheral, exception = ENTRY_HEADER, ENTRY_BODY[MEMORY], ENTRY_BODY[PERIPHERAL], \
        ENTRY_BODY[EXCEPTION]
    instructions: struct.Struct | None = None
    first_tick = last_tick = None
    last_ms = 0.0
    data = b""
    pos = 0
    at_end = False
    while True:
        if len(data) - pos < 2 * LONGEST_ENTRY and not at_end:
            block = stream.read(BLOCK_BYTES)
            at_end = not block
            data = data[pos:] + block
            pos = 0
        if pos == len(data):
            break
        if len(data) - pos < header.size:
            raise _Cut
        tick, virtual_ms, kind = header.unpack_from(data, pos)
        body = pos + header.size
        if first_tick is None or tick < first_tick:
            first_tick = tick
        if last_tick is None or tick > last_tick:
            last_tick = tick
        last_ms = max(last_ms, virtual_ms)
        if kind == MEMORY:
            if body + 1 > len(data):
                raise _Cut
            (metrics.memory_reads if data[body] == MEMORY_READ else metrics.memory_writes).add(virtual_ms)
            pos = body + memory.size
        elif kind == PERIPHERAL:
            if body + peripheral.size > len(data):
                raise _Cut
            operation, address = peripheral.unpack_from(data, body)
            table = metrics.peripheral_reads if operation == PERIPHERAL_READ else metrics.peripheral_writes
            trace(table, peripheral_at(address)).add(virtual_ms)
            pos = body + peripheral.size
        elif kind == INSTRUCTIONS:
            if instructions is None:
                instructions = _instructions_layout(data, body, virtual_ms, metrics.cpus)
                if instructions is None:
                    if body + INSTRUCTIONS_LAYOUTS["<BQ"].size > len(data):
                        raise _Cut
                    raise TargetError(f"Renode metrics file {path} has an instructions entry in neither known "
                                      f"layout (<BQ, <iQ) at byte {stream.tell() - len(data) + pos}")
                metrics.instructions_layout = instructions.format
            if body + instructions.size > len(data):
                raise _Cut
            cpu_id, count = instructions.unpack_from(data, body)
            trace(metrics.instructions, metrics.cpus.get(cpu_id, f"cpu{cpu_id}")).add(virtual_ms, count)
            pos = body + instructions.size
        elif kind == EXCEPTION:
            if body + exception.size > len(data):
                raise _Cut
            (number,) = exception.unpack_from(data, body)
            trace(metrics.exceptions, number).add(virtual_ms)
            pos = body + exception.size
        else:
            raise TargetError(f"Renode metrics file {path} has an unknown entry type {kind} "
                              f"at byte {stream.tell() - len(data) + pos}")
    if first_tick is not None and last_tick is not None:
        metrics.real_time_ms = (last_tick - first_tick) / TICKS_PER_MS
        metrics.virtual_time_ms = last_ms


def plot_metrics(metrics: Metrics, out_dir: Path) -> list[Path]:
    """Write instructions.png, memory.png, peripherals.png and exceptions.png; return their paths."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise TargetError("plotting Renode metrics needs matplotlib: pip install matplotlib") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    def cumulative(ax: Any, trace: Trace, label: str) -> None:
        ax.step(trace.times, trace.values, where="post", marker="." if len(trace.times) < 200 else None,
                label=label)

    def save(fig: Any, name: str, title: str) -> None:
        fig.suptitle(title)
        for ax in fig.axes:
            ax.set_xlabel("virtual time [ms]")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="upper left", fontsize="small")
        path = out_dir / name
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)

    fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    for cpu, trace in metrics.instructions.items():
        ax.plot(trace.times, trace.values, label=cpu)
    ax.set_ylabel("executed instructions")
    save(fig, "instructions.png", "Executed instructions per core")

    fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    cumulative(ax, metrics.memory_writes, "writes")
    cumulative(ax, metrics.memory_reads, "reads")
    ax.set_ylabel("memory accesses")
    save(fig, "memory.png", "Memory accesses")

    fig, (writes_ax, reads_ax) = plt.subplots(2, 1, figsize=(8, 7), constrained_layout=True)
    for name, trace in sorted(metrics.peripheral_writes.items()):
        cumulative(writes_ax, trace, name)
    for name, trace in sorted(metrics.peripheral_reads.items()):
        cumulative(reads_ax, trace, name)
    writes_ax.set_ylabel("write operations")
    reads_ax.set_ylabel("read operations")
    save(fig, "peripherals.png", "Peripheral accesses")

    fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    for number, trace in sorted(metrics.exceptions.items()):
        cumulative(ax, trace, f"exception {number}")
    ax.set_ylabel("exceptions taken")
    save(fig, "exceptions.png", "Exceptions")
    return written
