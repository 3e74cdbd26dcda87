"""The emulator's two channels: the UART and the semihosting pipes give the same events, and one
QEMU serves every stream of a run (reset() between files, no boot per file)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from conftest import shared_path

pytestmark = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs qemu-system-arm and gcc-arm-none-eabi (tools/bootstrap.sh dev)")


def test_pipe_channel_equals_uart_and_keeps_one_qemu_across_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    from edgesim.apps import load_app
    from edgesim.sources.base import AudioChunk
    from edgesim.sources.wav import read_wav
    from edgesim.targets.emulator import EmulatorTarget

    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))
    app = load_app("wake_word")
    streams = []
    for name in ("yes_1000ms.wav", "no_1000ms.wav"):
        audio = read_wav(shared_path("testdata", "micro_speech", name)).samples
        audio = np.concatenate([np.zeros(3200, np.int16), audio])
        streams.append([AudioChunk(start, audio[start:start + 1600]) for start in range(0, len(audio), 1600)])
    results = {}
    for channel in ("uart", "semihosting"):
        with EmulatorTarget(channel=channel) as target:
            target.open(app)
            pid = target.transport.process.pid
            runs = []
            for index, chunks in enumerate(streams):
                if index:
                    target.reset()
                events = [e for chunk in chunks for e in target.process(chunk)] + target.finish()
                runs.append([event.to_json() for event in events])
            assert target.transport.process.pid == pid, "one QEMU for every stream"
            results[channel] = runs
    assert results["semihosting"] == results["uart"] and all(results["uart"])
