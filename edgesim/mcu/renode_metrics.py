"""Renode profiler metrics (``machine EnableProfiler @file``): parse and plot, outside Colab.

    from edgesim.mcu.renode_metrics import read_metrics, plot_metrics
    metrics = read_metrics(Path("wake_word.dump"))
    metrics.instructions["cpu"][-1]          # (virtual_ms, executed instructions so far)
    plot_metrics(metrics, Path("plots/"))    # instructions.png memory.png peripherals.png exceptions.png

The dump is Renode's binary metrics format (the one renode's
tools/metrics_analyzer reads), little-endian:

    header   int32 cpu_count, then per cpu: int32 id, int32 name_len, name
             int32 peripheral_count, then per peripheral: int32 name_len, name,
             uint64 start_address, uint64 end_address
    entries  int64 real_time (100 ns ticks), float64 virtual_time (ms), uint8 type, then
             type 0 instructions: uint8 cpu_id, uint64 executed instructions (cumulative)
             type 1 memory access: uint8 operation (2 read, 3 write)
             type 2 peripheral access: uint8 operation (0 read, 1 write), uint64 address
             type 3 exception: uint64 exception number

The plots are the four of renode-colab-tools: instructions per core, memory
reads/writes, peripheral reads/writes per peripheral, exceptions per number,
each a cumulative count over virtual time.
"""
from __future__ import annotations

import struct
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from edgesim.errors import TargetError

ENTRY_HEADER = struct.Struct("<qdB")
INSTRUCTIONS, MEMORY, PERIPHERAL, EXCEPTION = range(4)
ENTRY_BODY = {INSTRUCTIONS: struct.Struct("<BQ"), MEMORY: struct.Struct("<B"),
              PERIPHERAL: struct.Struct("<BQ"), EXCEPTION: struct.Struct("<Q")}
MEMORY_READ, MEMORY_WRITE = 2, 3
PERIPHERAL_READ, PERIPHERAL_WRITE = 0, 1
TICKS_PER_MS = 10_000


@dataclass
class Metrics:
    """Everything in one dump; times are virtual milliseconds."""

    cpus: dict[int, str]
    peripherals: dict[str, tuple[int, int]]
    instructions: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    memory_reads: list[float] = field(default_factory=list)
    memory_writes: list[float] = field(default_factory=list)
    peripheral_reads: dict[str, list[float]] = field(default_factory=dict)
    peripheral_writes: dict[str, list[float]] = field(default_factory=dict)
    exceptions: dict[int, list[float]] = field(default_factory=dict)
    real_time_ms: float = 0.0

    def summary(self) -> dict[str, object]:
        """Totals for a report: instructions per core, access and exception counts."""
        return {
            "instructions": {cpu: samples[-1][1] for cpu, samples in self.instructions.items() if samples},
            "memory_reads": len(self.memory_reads),
            "memory_writes": len(self.memory_writes),
            "peripheral_reads": {name: len(t) for name, t in self.peripheral_reads.items()},
            "peripheral_writes": {name: len(t) for name, t in self.peripheral_writes.items()},
            "exceptions": {number: len(t) for number, t in self.exceptions.items()},
        }


class _Reader:
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


def read_metrics(path: Path) -> Metrics:
    """Parse a profiler dump; TargetError naming the problem when it is truncated or corrupt."""
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
        _read_entries(reader, metrics)
    return metrics


def _peripheral_at(peripherals: dict[str, tuple[int, int]], address: int) -> str:
    for name, (start, end) in peripherals.items():
        if start <= address <= end:
            return name
    return f"0x{address:08x}"


def _read_entries(reader: _Reader, metrics: Metrics) -> None:
    instructions: dict[str, list[tuple[float, int]]] = defaultdict(list)
    p_reads: dict[str, list[float]] = defaultdict(list)
    p_writes: dict[str, list[float]] = defaultdict(list)
    exceptions: dict[int, list[float]] = defaultdict(list)
    first_tick = last_tick = None  # earliest and latest real-time stamps
    while True:
        head = reader.stream.read(ENTRY_HEADER.size)
        if not head:
            break
        if len(head) != ENTRY_HEADER.size:
            raise TargetError(f"Renode metrics file {reader.path} is truncated (in an entry header)")
        tick, virtual_ms, kind = ENTRY_HEADER.unpack(head)
        first_tick = tick if first_tick is None else min(first_tick, tick)
        last_tick = tick if last_tick is None else max(last_tick, tick)
        body = ENTRY_BODY.get(kind)
        if body is None:
            raise TargetError(f"Renode metrics file {reader.path} has an unknown entry type {kind}")
        values = reader.take(body, "an entry")
        if kind == INSTRUCTIONS:
            cpu = metrics.cpus.get(values[0], f"cpu{values[0]}")
            instructions[cpu].append((virtual_ms, values[1]))
        elif kind == MEMORY:
            (metrics.memory_reads if values[0] == MEMORY_READ else metrics.memory_writes).append(virtual_ms)
        elif kind == PERIPHERAL:
            name = _peripheral_at(metrics.peripherals, values[1])
            (p_reads if values[0] == PERIPHERAL_READ else p_writes)[name].append(virtual_ms)
        else:
            exceptions[values[0]].append(virtual_ms)
    metrics.instructions = dict(instructions)
    metrics.peripheral_reads = dict(p_reads)
    metrics.peripheral_writes = dict(p_writes)
    metrics.exceptions = dict(exceptions)
    if first_tick is not None and last_tick is not None:
        metrics.real_time_ms = (last_tick - first_tick) / TICKS_PER_MS


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

    def cumulative(ax: Any, times: list[float], label: str) -> None:
        ax.step(times, range(1, len(times) + 1), where="post", marker=".", label=label)

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
    for cpu, samples in metrics.instructions.items():
        ax.plot([t for t, _ in samples], [n for _, n in samples], label=cpu)
    ax.set_ylabel("executed instructions")
    save(fig, "instructions.png", "Executed instructions per core")

    fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    cumulative(ax, metrics.memory_writes, "writes")
    cumulative(ax, metrics.memory_reads, "reads")
    ax.set_ylabel("memory accesses")
    save(fig, "memory.png", "Memory accesses")

    fig, (writes_ax, reads_ax) = plt.subplots(2, 1, figsize=(8, 7), constrained_layout=True)
    for name, times in sorted(metrics.peripheral_writes.items()):
        cumulative(writes_ax, times, name)
    for name, times in sorted(metrics.peripheral_reads.items()):
        cumulative(reads_ax, times, name)
    writes_ax.set_ylabel("write operations")
    reads_ax.set_ylabel("read operations")
    save(fig, "peripherals.png", "Peripheral accesses")

    fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    for number, times in sorted(metrics.exceptions.items()):
        cumulative(ax, times, f"exception {number}")
    ax.set_ylabel("exceptions taken")
    save(fig, "exceptions.png", "Exceptions")
    return written
