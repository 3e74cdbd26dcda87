"""WAV decoding to 16 kHz mono int16, with a note for every conversion.

Reads RIFF/WAVE files with PCM (8, 16, 24, 32-bit integer) or IEEE float
(32, 64-bit) samples, plain or WAVE_FORMAT_EXTENSIBLE, any rate and channel
count.  Anything else (ADPCM, mu-law, truncated or corrupt files) raises one
SourceError naming the file and the problem.

Usage:

    audio = read_wav("speech_44k_stereo.wav")
    audio.samples      # int16, 16 kHz, mono
    audio.notes        # ["down-mixed 2 channels to mono", "resampled 44100 Hz -> 16000 Hz"]
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgesim.errors import SourceError
from edgesim.sources.base import AUDIO_RATE_HZ
from edgesim.sources.resample import resample, to_int16

FORMAT_PCM = 0x0001
FORMAT_FLOAT = 0x0003
FORMAT_EXTENSIBLE = 0xFFFE
# Well-known codecs named in the error message (the rest are reported by number).
_CODEC_NAMES = {0x0002: "MS ADPCM", 0x0006: "A-law", 0x0007: "mu-law", 0x0011: "IMA ADPCM",
                0x0031: "GSM 6.10", 0x0055: "MP3"}
# EXTENSIBLE sub-format GUIDs end with this; the first two bytes are the format code.
_GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")
# Data size written by some streaming recorders that never patch the header.
_UNKNOWN_SIZE = 0xFFFFFFFF


@dataclass
class WavAudio:
    """Decoded audio: int16 mono samples at AUDIO_RATE_HZ, the original format and the notes."""

    samples: np.ndarray
    source_rate_hz: int
    source_channels: int
    source_bits: int
    notes: list[str] = field(default_factory=list)


@dataclass
class _Format:
    code: int
    channels: int
    rate: int
    block_align: int
    bits: int


def _fail(path: Path, problem: str) -> SourceError:
    return SourceError(f"{path}: {problem}")


def _parse_fmt(path: Path, body: bytes) -> _Format:
    if len(body) < 16:
        raise _fail(path, f"'fmt ' chunk is {len(body)} bytes, expected at least 16 (corrupt WAV header)")
    code, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", body)
    if code == FORMAT_EXTENSIBLE:
        if len(body) < 40:
            raise _fail(path, "WAVE_FORMAT_EXTENSIBLE header is shorter than 40 bytes (corrupt WAV header)")
        guid = body[24:40]
        if guid[2:] != _GUID_TAIL:
            raise _fail(path, f"unsupported WAV sub-format GUID {guid.hex()}; convert to PCM, "
                              f"e.g. 'sox IN -b 16 OUT.wav'")
        code = struct.unpack_from("<H", guid)[0]
    if code not in (FORMAT_PCM, FORMAT_FLOAT):
        name = _CODEC_NAMES.get(code, f"format code 0x{code:04x}")
        raise _fail(path, f"unsupported WAV codec {name}; only PCM and IEEE float are read. "
                          f"Convert it, e.g. 'sox IN -e signed-integer -b 16 OUT.wav'")
    supported_bits = (8, 16, 24, 32) if code == FORMAT_PCM else (32, 64)
    if bits not in supported_bits:
        kind = "PCM" if code == FORMAT_PCM else "float"
        raise _fail(path, f"unsupported {bits}-bit {kind} samples (supported: "
                          f"{', '.join(map(str, supported_bits))} bits)")
    if channels < 1 or rate < 1:
        raise _fail(path, f"invalid WAV header: {channels} channels at {rate} Hz")
    if block_align != channels * bits // 8:
        raise _fail(path, f"invalid WAV header: block align {block_align} does not match "
                          f"{channels} channels x {bits} bits")
    return _Format(code, channels, rate, block_align, bits)


def _decode_samples(fmt: _Format, data: bytes) -> np.ndarray:
    """Interleaved frames -> float64 array (frames, channels) on the int16 scale."""
    if fmt.code == FORMAT_FLOAT:
        raw = np.frombuffer(data, dtype="<f4" if fmt.bits == 32 else "<f8").astype(np.float64)
        values = np.nan_to_num(raw, nan=0.0, posinf=1.0, neginf=-1.0) * 32768.0
    elif fmt.bits == 8:
        values = (np.frombuffer(data, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    elif fmt.bits == 16:
        values = np.frombuffer(data, dtype="<i2").astype(np.float64)
    elif fmt.bits == 24:
        triplets = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        word = triplets[:, 0] | (triplets[:, 1] << 8) | (triplets[:, 2] << 16)
        values = (np.where(word >= 1 << 23, word - (1 << 24), word)).astype(np.float64) / 256.0
    else:
        values = np.frombuffer(data, dtype="<i4").astype(np.float64) / 65536.0
    return values.reshape(-1, fmt.channels)


def read_wav(path: str | Path, rate_hz: int = AUDIO_RATE_HZ) -> WavAudio:
    """Decode a WAV file to int16 mono at rate_hz; raises SourceError for anything unreadable."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as error:
        raise _fail(path, f"cannot read file ({error.strerror})") from None
    if len(blob) == 0:
        raise _fail(path, "file is empty")
    if len(blob) < 12 or blob[0:4] != b"RIFF" or blob[8:12] != b"WAVE":
        what = "RIFF/WAVE" if blob[0:4] != b"RIFF" else "WAVE"
        raise _fail(path, f"not a WAV file (bad {what} header: starts with {blob[:12]!r})")

    fmt: _Format | None = None
    data: bytes | None = None
    offset = 12
    while offset + 8 <= len(blob):
        chunk_id, size = struct.unpack_from("<4sI", blob, offset)
        body_start = offset + 8
        if chunk_id == b"data":
            if fmt is None:
                raise _fail(path, "corrupt WAV: 'data' chunk comes before the 'fmt ' chunk")
            if size == _UNKNOWN_SIZE:
                size = len(blob) - body_start
            if body_start + size > len(blob):
                raise _fail(path, f"truncated WAV: header announces {size} bytes of audio, "
                                  f"the file has {len(blob) - body_start}")
            data = blob[body_start:body_start + size]
            break
        if body_start + size > len(blob):
            raise _fail(path, f"truncated WAV: chunk {chunk_id!r} announces {size} bytes, "
                              f"the file has {len(blob) - body_start}")
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(path, blob[body_start:body_start + size])
        offset = body_start + size + (size & 1)  # chunks are padded to even sizes
    if fmt is None:
        raise _fail(path, "corrupt WAV: no 'fmt ' chunk")
    if data is None:
        raise _fail(path, "truncated WAV: no 'data' chunk")
    if len(data) % fmt.block_align:
        raise _fail(path, f"truncated WAV: {len(data)} bytes of audio is not a whole number of "
                          f"{fmt.block_align}-byte frames")

    frames = _decode_samples(fmt, data)
    notes: list[str] = []
    if fmt.code == FORMAT_PCM and fmt.bits == 16 and fmt.channels == 1 and fmt.rate == rate_hz:
        samples = frames[:, 0].astype(np.int16)  # the common case stays bit exact
    else:
        if fmt.bits != 16 or fmt.code != FORMAT_PCM:
            kind = "float" if fmt.code == FORMAT_FLOAT else "PCM"
            notes.append(f"converted {fmt.bits}-bit {kind} samples to 16-bit")
        mono = frames.mean(axis=1)
        if fmt.channels > 1:
            notes.append(f"down-mixed {fmt.channels} channels to mono")
        if fmt.rate != rate_hz:
            mono = resample(mono, fmt.rate, rate_hz)
            notes.append(f"resampled {fmt.rate} Hz -> {rate_hz} Hz")
        samples = to_int16(mono)
    return WavAudio(samples, fmt.rate, fmt.channels, fmt.bits, [f"{path.name}: {note}" for note in notes])


def write_wav(path: str | Path, samples: np.ndarray, rate_hz: int = AUDIO_RATE_HZ) -> None:
    """Write int16 samples, shape (n,) or (n, channels), as a 16-bit PCM WAV file."""
    frames = np.asarray(samples, dtype="<i2")
    channels = 1 if frames.ndim == 1 else frames.shape[1]
    data = frames.tobytes()
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, FORMAT_PCM,
                         channels, rate_hz, rate_hz * channels * 2, channels * 2, 16, b"data", len(data))
    Path(path).write_bytes(header + data)
