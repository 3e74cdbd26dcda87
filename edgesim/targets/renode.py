"""The Renode target: the app's nano33ble firmware on Renode's Arduino Nano 33 BLE Sense model.

    edgesim run wake_word --target renode --source clip.wav

    from edgesim.targets.renode import RenodeTarget
    with RenodeTarget(profile="wake_word.dump", plots="plots/") as target:
        target.open(load_app("wake_word"))        # TargetError at once when Renode is missing
        events = target.process(chunk) + target.finish()

The firmware is the nano33ble build with the UART console Renode models
(``uart-polled``: UARTE0 without PPI or shorts; the board's own build counts
bytes with PPI); the session is the one of every firmware target
(edgesim/targets/firmware.py: CONFIG repeated every config_retry_s until its
HELLO, the reliable link) over uart0, which Renode exposes as a server socket
terminal (edgesim.mcu.renode.RenodeMachine).  Instructions per inference come
from the firmware's STATS frames: retired instructions counted by Renode
(edgesim's overlay maps ``sysbus.cpu ExecutedInstructions`` at DWT CYCCNT).
With ``profile`` set (opt-in, slow), ``machine EnableProfiler`` records
Renode's metrics; stats() summarises them and, with ``plots``, close() plots
them (instructions per core, memory, peripheral and exception counts) as PNG.
The on-board-sensor variant (Renode's PDM/IMU/camera
models fed from files) runs through the robot tests: `edgesim test --target renode`.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from edgesim.app import App
from edgesim.errors import TargetError
from edgesim.mcu.renode import CONSOLE, RenodeMachine, RenodeScript, find_renode, free_tcp_port
from edgesim.targets.firmware import FirmwareTarget

DEFAULT_TIMEOUT_S = 120.0  # Renode runs the firmware well below real time


class RenodeTarget(FirmwareTarget):
    """Runs the app's nano33ble firmware in Renode and turns its frames into events."""

    name = "renode"
    backend = "Renode"
    default_timeout = DEFAULT_TIMEOUT_S
    config_retry_s = 3.0  # Renode runs well below real time; its receiver may start late
    description = "the app's nano33ble firmware in Renode's Arduino Nano 33 BLE Sense model (needs Renode)"
    options = {
        "board": "board to emulate (nano33ble)",
        "timeout": f"seconds without an answer before the firmware counts as hung (default {DEFAULT_TIMEOUT_S:.0f})",
        "features": "also return the firmware's model inputs (FEATURES frames) in .features",
        "model": "model path or store name replacing the app's model",
        "profile": "write Renode's profiler metrics (machine EnableProfiler) to this file",
        "plots": "plot the profiler metrics as PNG into this folder when the target closes",
    }

    def __init__(self, **options: Any) -> None:
        options.setdefault("board", "nano33ble")
        super().__init__(**options)
        plots = options.get("plots")
        profile = options.get("profile")
        self.plots_dir = Path(plots) if plots else None
        self.profile = Path(profile) if profile else None
        self.plots: list[Path] = []
        self.metrics: Any = None  # edgesim.mcu.renode_metrics.Metrics of the profile, once read
        self._workdir: tempfile.TemporaryDirectory | None = None

    def _check_board(self) -> None:
        if self.board != "nano33ble":
            raise TargetError(f"Renode's model here is the Arduino Nano 33 BLE Sense (board nano33ble), "
                              f"not {self.board!r}")

    def _build(self, app: App, model_path: Any) -> Any:
        from edgesim.mcu.firmware_builder import build_app

        return build_app(app, self.board, model=model_path, console=CONSOLE)  # Renode models UARTE0, not USBD

    def open(self, app: App) -> None:
        self.renode = find_renode()  # one clear message before anything is built
        if self.plots_dir is not None and self.profile is None:
            self.profile = self.plots_dir / f"{app.name}.dump"
        super().open(app)

    def _connect(self) -> RenodeMachine:
        assert self.app is not None
        self._workdir = tempfile.TemporaryDirectory(prefix="edgesim-renode-")
        profile = self.profile.resolve() if self.profile is not None else None
        if profile is not None:
            profile.parent.mkdir(parents=True, exist_ok=True)
        script = RenodeScript(app=self.app.name, elf=self.image.elf, uart_port=free_tcp_port(), profile=profile)
        machine = RenodeMachine(script, Path(self._workdir.name), renode=self.renode)
        machine.start()
        return machine

    def close(self) -> None:
        super().close()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
        if self.plots_dir is not None and not self.plots:
            self._plot()

    def _plot(self) -> None:
        """Read the profiler dump once (as far as it is written) and plot it into plots_dir."""
        from edgesim.mcu.renode_metrics import plot_metrics, read_metrics

        if self.profile is None or not self.profile.exists():
            return
        if self.metrics is None:
            self.metrics = read_metrics(self.profile, cut_tail_ok=True)  # Renode may still be writing it
        if self.plots_dir is not None and not self.plots:
            self.plots = plot_metrics(self.metrics, self.plots_dir)

    def stats(self) -> dict[str, Any]:
        out = super().stats()
        self._plot()
        if self.metrics is not None:
            out["renode_metrics"] = self.metrics.summary()
        if self.plots:
            out["renode_plots"] = [str(p) for p in self.plots]
        return out
