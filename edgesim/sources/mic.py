"""Microphone input through PortAudio (sounddevice): 16 kHz mono int16 chunks.

``mic`` opens the default input device, ``mic:NAME`` the first input device
whose name contains NAME (case-insensitive), ``mic:INDEX`` a device by its
PortAudio index (see ``python -m sounddevice``).  The device is asked for
16 kHz; when it refuses, it is opened at its default rate and resampled (a
note says so).  Capture is mono (PortAudio mixes or picks the first channel).

Usage:

    with open_mic("USB") as mic:
        for chunk in mic:           # endless; close() or Ctrl-C ends it
            level = np.abs(chunk.samples).max()
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from edgesim.errors import SourceError
from edgesim.sources.base import AUDIO_CHUNK_SAMPLES, AUDIO_RATE_HZ, AudioChunk, Source
from edgesim.sources.resample import Resampler, to_int16


def _sounddevice() -> Any:
    try:
        import sounddevice
    except ImportError:
        raise SourceError("microphone input needs the sounddevice package: pip install 'edgesim[live]'") from None
    except OSError:
        raise SourceError("microphone input needs the PortAudio library, which is not installed: "
                          "sudo apt-get install libportaudio2 (Debian/Ubuntu) or brew install portaudio (macOS)") \
            from None
    return sounddevice


def list_input_devices() -> list[tuple[int, str, float]]:
    """(index, name, default sample rate) of every device that can capture."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
    except sd.PortAudioError as error:
        raise SourceError(f"PortAudio cannot list audio devices: {error}") from None
    return [(index, str(info["name"]), float(info["default_samplerate"]))
            for index, info in enumerate(devices) if info["max_input_channels"] > 0]


def _resolve_device(device: str) -> int | None:
    """Device index for a mic spec tail ("" = default input, digits = index, else a name part)."""
    inputs = list_input_devices()
    if not inputs:
        raise SourceError("no microphone found: PortAudio lists no input device (no sound card, or no "
                          "permission to use it); use a WAV file or synthetic:... as --source instead")
    available = "; ".join(f"{index}: {name}" for index, name, _ in inputs)
    if device == "":
        return None
    if device.isdigit():
        index = int(device)
        if index not in [i for i, _, _ in inputs]:
            raise SourceError(f"no input device with index {index}; input devices are: {available}")
        return index
    matches = [index for index, name, _ in inputs if device.lower() in name.lower()]
    if not matches:
        raise SourceError(f"no input device whose name contains {device!r}; input devices are: {available}")
    return matches[0]


class MicSource(Source):
    """A live microphone stream.

    device: PortAudio device index or None for the default input.
    device_rate_hz: capture at this rate instead of trying 16 kHz first (then resample).
    Input overflows (the reader was too slow and PortAudio dropped audio) are
    counted in ``overflows``.
    """

    kind = "audio"
    is_live = True

    def __init__(self, device: int | None = None, device_rate_hz: int | None = None) -> None:
        sd = _sounddevice()
        self._sd = sd
        info = sd.query_devices(device, "input") if device is not None else self._default_input()
        name = str(info["name"])
        rates = [device_rate_hz] if device_rate_hz else [AUDIO_RATE_HZ, int(info["default_samplerate"])]
        self._stream, rate = self._open(device, name, rates)
        super().__init__(f"microphone {name!r} at {rate} Hz")
        self.device_rate_hz = rate
        self._resampler = Resampler(rate, AUDIO_RATE_HZ) if rate != AUDIO_RATE_HZ else None
        if self._resampler is not None:
            self.notes.append(f"microphone {name!r} runs at {rate} Hz; resampled to {AUDIO_RATE_HZ} Hz")
            self.description += f", resampled to {AUDIO_RATE_HZ} Hz"
        self.overflows = 0
        self._block = max(1, AUDIO_CHUNK_SAMPLES * rate // AUDIO_RATE_HZ)

    def _default_input(self) -> Any:
        try:
            return self._sd.query_devices(kind="input")
        except self._sd.PortAudioError as error:
            raise SourceError(f"no default microphone ({error}); pick one with --source mic:NAME or mic:INDEX "
                              f"(list them with 'python -m sounddevice')") from None

    def _open(self, device: int | None, name: str, rates: list[int]) -> tuple[Any, int]:
        errors = []
        for rate in dict.fromkeys(rates):
            try:
                stream = self._sd.InputStream(device=device, samplerate=rate, channels=1,
                                              dtype="int16", blocksize=0)
                stream.start()
                return stream, rate
            except self._sd.PortAudioError as error:
                errors.append(f"{rate} Hz: {error}")
        raise SourceError(f"cannot open microphone {name!r}: {'; '.join(errors)}")

    def __iter__(self) -> Iterator[AudioChunk]:
        produced = 0
        while not self.closed:
            try:
                block, overflowed = self._stream.read(self._block)
            except self._sd.PortAudioError as error:
                if self.closed:
                    return
                raise SourceError(f"microphone stopped delivering audio ({error}); was it unplugged?") from None
            if overflowed:
                self.overflows += 1
            samples = block[:, 0]
            if self._resampler is not None:
                samples = to_int16(self._resampler.process(samples))
            if samples.size == 0:
                continue
            yield AudioChunk(produced, samples.astype(np.int16, copy=False), origin=self.description)
            produced += len(samples)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._stream.abort()
            self._stream.close()
        super().close()


def open_mic(device: str = "", device_rate_hz: int | None = None) -> MicSource:
    """A microphone by spec tail: "" (default), an index, or part of a device name."""
    return MicSource(_resolve_device(device), device_rate_hz)
