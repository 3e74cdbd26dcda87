"""Write the committed seed corpus of every fuzz target (tests/fuzz/corpus/<target>/).

    .venv/bin/python tests/fuzz/make_seeds.py

Seeds are small inputs generated here (never copies of ../shared), one or a
few per feature the parser handles, so a fuzz run starts from valid files
and mutates its way into the corners.  Deterministic: rerunning it rewrites
the same bytes.
"""
from __future__ import annotations

import io
import json
import struct
import sys
import wave
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
sys.path.insert(0, str(HERE.parent))  # tests/ for oplib


def wav_bytes(samples: np.ndarray, rate: int, channels: int = 1, width: int = 2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return out.getvalue()


def float_wav(samples: np.ndarray, rate: int) -> bytes:
    data = samples.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def bmp_bytes(pixels: np.ndarray, palette: np.ndarray | None = None) -> bytes:
    height, width = pixels.shape[:2]
    bits = 8 if palette is not None else 24
    stride = (width * bits // 8 + 3) // 4 * 4
    rows = pixels[::-1] if palette is not None else pixels[::-1, :, ::-1]
    raw = b"".join(row.tobytes().ljust(stride, b"\0") for row in rows)
    table = b"" if palette is None else b"".join(bytes([b, g, r, 0]) for r, g, b in palette)
    offset = 14 + 40 + len(table)
    header = struct.pack("<2sIHHI", b"BM", offset + len(raw), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, 0, len(raw), 2835, 2835,
                       0 if palette is None else len(palette), 0)
    return header + info + table + raw


def png_bytes(pixels: np.ndarray, color_type: int, palette: np.ndarray | None = None) -> bytes:
    height, width = pixels.shape[:2]
    raw = b"".join(bytes([y % 5]) + pixels[y].tobytes() for y in range(height))  # every filter type once

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    body = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))
    if palette is not None:
        body += chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def python_seeds() -> dict[str, dict[str, bytes]]:
    rng = np.random.default_rng(2026)
    tone = (np.sin(np.arange(800) / 5) * 8000).astype("<i2")
    gray = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    rgb = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    palette = rng.integers(0, 256, (4, 3), dtype=np.uint8)
    from edgesim import protocol

    frames = [protocol.encode_frame(t, i, bytes(rng.integers(0, 256, n, dtype=np.uint8)))
              for i, (t, n) in enumerate([(1, 0), (2, 16), (5, 40), (12, 0)])]
    return {
        "wav": {"mono16.wav": wav_bytes(tone, 16000), "stereo16.wav": wav_bytes(np.repeat(tone, 2), 8000, 2),
                "u8.wav": wav_bytes((tone // 256 + 128).astype(np.uint8), 16000, width=1),
                "float.wav": float_wav(tone / 32768.0, 22050)},
        "stroke_csv": {"stroke.csv": b"x,y\n0,0\n10,-5\n20,-12\n-128,127\n"},
        "imu_csv": {"imu.csv": b"ax,ay,az,gx,gy,gz\n0,0,1,0,0,0\n0.1,-0.2,0.98,5.5,-3,1e2\n"},
        "still_image": {"gray.bmp": bmp_bytes(gray, np.stack([np.arange(256)] * 3, 1).astype(np.uint8)),
                        "rgb.bmp": bmp_bytes(rgb), "gray.png": png_bytes(gray, 0),
                        "rgb.png": png_bytes(rgb, 2),
                        "palette.png": png_bytes(rng.integers(0, 4, (3, 5), dtype=np.uint8), 3, palette)},
        "word_times": {"words.csv": b"cwords\nlabel,start_ms,end_ms\nyes,1000,1500\nno,3000,3400\n",
                       "words.json": b'j{"words": [{"label": "yes", "start_ms": 10, "end_ms": 20}]}'},
        "labels_csv": {"labels.csv": b"file,label\na.csv,3\n"},
        "protocol_stream": {f"frames{i}": b"noise" + f for i, f in enumerate(frames)} | {"all": b"".join(frames)},
        "app_parameters": {
            "wake.json": json.dumps({"app": "wake_word", "stage": "post", "params": {
                "average_window_ms": 1000, "detection_threshold": 160, "suppression_ms": 1500,
                "minimum_count": 3, "report": ["yes", "no"]}}).encode(),
            "person.json": json.dumps({"app": "person_detection", "stage": "pre", "params": {"resize": "area"}}).encode(),
            # Found by the fuzzer: stage parameters that are not a mapping, and a report that is not a label.
            "params_not_a_mapping.json": json.dumps({"app": "wake_word", "stage": "post",
                                                     "params": "person_detection"}).encode(),
            "report_not_a_label.json": json.dumps({"app": "gesture", "stage": "post", "params": {"report": 7}}).encode(),
        },
    }


def c_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds for the libFuzzer targets in tests/fuzz/*.c (their input layouts are in each file)."""
    rng = np.random.default_rng(7)
    from edgesim import protocol

    seeds: dict[str, dict[str, bytes]] = {
        "fuzz_audio": {"tone": bytes([3]) + (np.sin(np.arange(1200) / 3) * 9000).astype("<i2").tobytes()},
        "fuzz_image": {f"fmt{f}": struct.pack("<hhBBBB", 12, 9, 0, f, f % 3, 1) + bytes(12 * 9 * 3)
                       for f in range(8)},
        "fuzz_imu": {"stream": bytes([0]) + rng.normal(0, 1, 120).astype("<f4").tobytes(),
                     "raster": bytes([1]) + rng.integers(-128, 128, 40, dtype=np.int8).tobytes()},
        "fuzz_post": {"scores": rng.integers(0, 256, 200, dtype=np.uint8).tobytes()},
        "fuzz_protocol": {"end": bytes([255]) + protocol.encode_frame(12, 0),
                          "hello": bytes([255]) + protocol.encode_frame(1, 1, bytes(28))},
    }
    from PIL import Image

    tiny = Image.fromarray(rng.integers(0, 256, (9, 17, 3), dtype=np.uint8), "RGB")
    jpegs = {}
    for name, image, options in [("420", tiny, {"subsampling": 2}), ("444", tiny, {"subsampling": 0}),
                                 ("gray", tiny.convert("L"), {})]:
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80, **options)
        jpegs[f"{name}-gray"], jpegs[f"{name}-rgb"] = b"\0" + out.getvalue(), b"\1" + out.getvalue()
    seeds["fuzz_jpeg"] = jpegs
    try:
        from oplib.lstm_cases import lstm_case
        from oplib.model import TensorSpec, single_op_model, softmax_options
    except ImportError:  # tflite-micro (whose schema module writes models) not installed
        return seeds
    seeds["fuzz_model"] = {"softmax.tflite": single_op_model(
        "SOFTMAX", [TensorSpec((1, 4), scale=0.5, zero_point=-3)],
        [TensorSpec((1, 4), scale=1 / 256, zero_point=-128)], softmax_options(1.0)),
        # 24 inputs, two variable tensors, int16 cell state
        "lstm.tflite": lstm_case(np.random.default_rng(3), "int8", invokes=1).model}
    return seeds


def main() -> None:
    for target, files in {**python_seeds(), **c_seeds()}.items():
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        print(f"{folder.relative_to(HERE.parent.parent)}: {len(files)} seeds")


if __name__ == "__main__":
    main()
