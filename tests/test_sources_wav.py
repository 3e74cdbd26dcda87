"""WAV reading: every PCM/float layout to 16 kHz mono int16, and one clear error per kind of bad file."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from edgesim.errors import SourceError
from edgesim.sources import open_source
from edgesim.sources.base import AUDIO_CHUNK_SAMPLES, AUDIO_RATE_HZ
from edgesim.sources.wav import read_wav, write_wav

GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")


def wav_bytes(data: bytes, *, code: int = 1, channels: int = 1, rate: int = 16000, bits: int = 16,
              extensible: bool = False, extra_chunks: bytes = b"") -> bytes:
    """A RIFF/WAVE file with the given header fields around raw sample bytes."""
    align = channels * bits // 8
    if extensible:
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * align, align, bits, 22, bits, 0)
        fmt += struct.pack("<H", code) + GUID_TAIL
    else:
        fmt = struct.pack("<HHIIHH", code, channels, rate, rate * align, align, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra_chunks
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def tone(rate: int, seconds: float, hz: float, amplitude: float) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * hz * np.arange(int(rate * seconds)) / rate)


def dominant_hz(samples: np.ndarray, rate: int = AUDIO_RATE_HZ) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def test_16k_mono_16bit_is_read_bit_exact(testdata_dir: Path) -> None:
    path = testdata_dir / "micro_speech" / "yes_1000ms.wav"
    audio = read_wav(path)
    raw = np.frombuffer(path.read_bytes()[44:], dtype="<i2")
    assert audio.samples.dtype == np.int16 and np.array_equal(audio.samples, raw)
    assert audio.notes == []


def test_source_chunks_cover_the_file_with_sample_timestamps(testdata_dir: Path) -> None:
    with open_source(str(testdata_dir / "micro_speech" / "no_1000ms.wav"), "audio") as source:
        chunks = list(source)
    assert source.total_chunks == len(chunks) == 16000 // AUDIO_CHUNK_SAMPLES
    assert [c.start_sample for c in chunks] == list(range(0, 16000, AUDIO_CHUNK_SAMPLES))
    assert chunks[1].t_ms == pytest.approx(AUDIO_CHUNK_SAMPLES * 1000 / AUDIO_RATE_HZ)
    assert source.duration_ms == 1000.0 and not source.is_live


def test_44k1_stereo_is_downmixed_and_resampled_with_notes(tmp_path: Path) -> None:
    left = tone(44100, 1.0, 1000, 12000)
    right = tone(44100, 1.0, 1000, 8000)
    frames = np.stack([left, right], axis=1).round().astype("<i2")
    path = tmp_path / "stereo44.wav"
    path.write_bytes(wav_bytes(frames.tobytes(), channels=2, rate=44100))
    audio = read_wav(path)
    assert audio.samples.dtype == np.int16
    assert len(audio.samples) == 16000  # 1 s at 16 kHz
    assert audio.source_rate_hz == 44100 and audio.source_channels == 2
    assert any("down-mixed 2 channels" in note for note in audio.notes)
    assert any("resampled 44100 Hz -> 16000 Hz" in note for note in audio.notes)
    assert dominant_hz(audio.samples) == pytest.approx(1000, abs=2)
    # The down-mix is the mean of the channels: amplitude (12000 + 8000) / 2.
    assert np.abs(audio.samples[100:-100]).max() == pytest.approx(10000, rel=0.01)
    with open_source(str(path), "audio") as source:
        assert source.notes == audio.notes
        assert sum(len(c.samples) for c in source) == 16000


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 32000, 48000])
def test_other_rates_give_the_right_length_and_pitch(tmp_path: Path, rate: int) -> None:
    samples = tone(rate, 0.5, 440, 10000).round().astype("<i2")
    path = tmp_path / f"r{rate}.wav"
    path.write_bytes(wav_bytes(samples.tobytes(), rate=rate))
    audio = read_wav(path)
    assert len(audio.samples) == -(-len(samples) * 16000 // rate)
    assert dominant_hz(audio.samples) == pytest.approx(440, abs=3)
    expected = tone(16000, len(audio.samples) / 16000, 440, 10000)
    assert np.abs(audio.samples[64:-64] - expected[64:-64]).max() < 40  # same phase, no delay


def test_resampling_removes_content_above_the_new_nyquist(tmp_path: Path) -> None:
    samples = tone(48000, 0.5, 12000, 20000).round().astype("<i2")  # would alias to 4 kHz
    path = tmp_path / "high.wav"
    path.write_bytes(wav_bytes(samples.tobytes(), rate=48000))
    assert np.abs(read_wav(path).samples[64:-64]).max() < 20


@pytest.mark.parametrize("bits,code,encode", [
    (8, 1, lambda x: (np.round(x / 256) + 128).astype(np.uint8).tobytes()),
    (24, 1, lambda x: b"".join(int(v * 256).to_bytes(3, "little", signed=True) for v in np.round(x))),
    (32, 1, lambda x: (np.round(x) * 65536).astype("<i4").tobytes()),
    (32, 3, lambda x: (x / 32768).astype("<f4").tobytes()),
    (64, 3, lambda x: (x / 32768).astype("<f8").tobytes()),
])
@pytest.mark.parametrize("extensible", [False, True])
def test_sample_widths_and_float_convert_to_int16(tmp_path: Path, bits: int, code: int, encode, extensible: bool) \
        -> None:
    signal = tone(16000, 0.1, 500, 20000).round()
    path = tmp_path / f"w{bits}_{code}.wav"
    path.write_bytes(wav_bytes(encode(signal), code=code, bits=bits, extensible=extensible))
    audio = read_wav(path)
    tolerance = 128 if bits == 8 else 1
    assert np.abs(audio.samples.astype(np.int32) - signal.astype(np.int32)).max() <= tolerance
    assert any(f"{bits}-bit" in note for note in audio.notes)


def test_unknown_chunks_and_odd_padding_are_skipped(tmp_path: Path) -> None:
    samples = np.arange(-50, 50, dtype="<i2")
    extra = b"LIST" + struct.pack("<I", 3) + b"abc" + b"\0"  # odd-sized chunk plus its pad byte
    path = tmp_path / "list.wav"
    path.write_bytes(wav_bytes(samples.tobytes(), extra_chunks=extra))
    assert np.array_equal(read_wav(path).samples, samples)


def test_streaming_recorder_size_placeholder_reads_to_the_end(tmp_path: Path) -> None:
    samples = np.arange(300, dtype="<i2")
    blob = bytearray(wav_bytes(samples.tobytes()))
    blob[40:44] = struct.pack("<I", 0xFFFFFFFF)  # data size never patched by the recorder
    path = tmp_path / "stream.wav"
    path.write_bytes(bytes(blob))
    assert np.array_equal(read_wav(path).samples, samples)


def test_write_wav_round_trips(tmp_path: Path) -> None:
    samples = np.array([0, 1, -1, 32767, -32768], dtype=np.int16)
    write_wav(tmp_path / "x.wav", samples)
    assert np.array_equal(read_wav(tmp_path / "x.wav").samples, samples)


def _bad_files() -> dict[str, tuple[bytes, str]]:
    good = wav_bytes(np.zeros(100, dtype="<i2").tobytes())
    adpcm = wav_bytes(b"\0" * 256, code=0x0011, bits=4)
    return {
        "empty.wav": (b"", "file is empty"),
        "text.wav": (b"hello, this is not audio at all", "not a WAV file"),
        "bad_riff.wav": (b"RIFX" + good[4:], "bad RIFF/WAVE header"),
        "bad_wave.wav": (good[:8] + b"AVI " + good[12:], "bad WAVE header"),
        "truncated.wav": (good[:-50], "truncated WAV: header announces 200 bytes of audio, the file has 150"),
        "header_only.wav": (good[:30], "truncated WAV"),
        "no_data.wav": (good[:36], "truncated WAV: no 'data' chunk"),
        "adpcm.wav": (adpcm, "unsupported WAV codec IMA ADPCM"),
        "mulaw.wav": (wav_bytes(b"\0" * 10, code=7, bits=8), "unsupported WAV codec mu-law"),
        "pcm12.wav": (wav_bytes(b"\0" * 12, bits=12), "unsupported 12-bit PCM"),
        "no_fmt.wav": (b"RIFF" + struct.pack("<I", 12) + b"WAVE" + b"data" + struct.pack("<I", 0),
                       "'data' chunk comes before the 'fmt ' chunk"),
        "odd_guid.wav": (wav_bytes(b"\0" * 4, extensible=True)[:44] + b"\x99" * 14
                         + wav_bytes(b"\0" * 4, extensible=True)[58:], "unsupported WAV sub-format GUID"),
        "odd_frames.wav": (wav_bytes(b"\0" * 3), "not a whole number of 2-byte frames"),
        "zero_channels.wav": (wav_bytes(b"", channels=0), "invalid WAV header: 0 channels"),
        "bad_align.wav": (good[:32] + struct.pack("<H", 3) + good[34:], "block align 3 does not match"),
    }


@pytest.mark.parametrize("name", sorted(_bad_files()))
def test_bad_wav_files_raise_one_clear_error(tmp_path: Path, name: str) -> None:
    blob, problem = _bad_files()[name]
    path = tmp_path / name
    path.write_bytes(blob)
    with pytest.raises(SourceError) as error:
        read_wav(path)
    message = str(error.value)
    assert message.startswith(str(path)) and problem in message
    with pytest.raises(SourceError, match=problem.split(":")[0]):
        open_source(str(path), "audio")
