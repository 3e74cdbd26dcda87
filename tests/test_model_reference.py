"""edgesim.Model against the TFLite Micro reference kernels, bit for bit.

The three shared int8 models run on the shared test inputs (whose outputs are
also tabulated in ../shared/models/README.md and ../shared/testdata/README.md)
and on 500 random inputs each; every output must EQUAL the tflite-micro
interpreter's (reused across inputs: a person_detect invoke takes ~40 ms).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path

RANDOM_INPUTS = 500

# README figures: TFLM arena on x86-64 ("Arena allocation total").
TFLM_ARENA_BYTES = {"micro_speech_quantized": 7584, "person_detect": 85264, "magic_wand": 10144}

MICRO_SPEECH_EXPECTED = {
    "yes_1000ms": [-128, -128, 127, -128],
    "no_1000ms": [-128, -114, -128, 114],
    "silence_1000ms": [-42, -68, -68, -78],
    "noise_1000ms": [120, -125, -126, -125],
}
# (file, input convention, [notperson, person])
PERSON_EXPECTED = [
    ("person.bmp", "raw", [-113, 113]),
    ("no_person.bmp", "raw", [57, -57]),
    ("no_person.bmp", "gray", [77, -77]),
    ("person_96x96.bmp", "gray", [-113, 113]),
    ("no_person_96x96.bmp", "gray", [94, -94]),
]
MAGIC_WAND_EXPECTED = {
    0: [49, -128, -124, -126, -128, -127, -82, -128, -102, -128],
    1: [-124, 106, -127, -123, -126, -127, -124, -127, -126, -125],
    3: [-128, -128, -127, 117, -128, -119, -128, -128, -128, -128],
    7: [-117, -127, -81, -76, -107, -107, -125, -46, -124, -114],
}


class Pair:
    """One model loaded in edgesim and in the tflite-micro oracle."""

    def __init__(self, path: Path):
        import edgesim
        from tflite_micro.python.tflite_micro import runtime

        self.model = edgesim.Model(path)
        self.oracle = runtime.Interpreter.from_file(str(path))

    def expected(self, x: np.ndarray) -> np.ndarray:
        self.oracle.set_input(x, 0)
        self.oracle.invoke()
        return self.oracle.get_output(0)

    def check(self, x: np.ndarray) -> np.ndarray:
        ours = self.model.invoke(x)
        np.testing.assert_array_equal(ours, self.expected(x))
        return ours


_pairs: dict[str, Pair] = {}


def pair(name: str) -> Pair:
    if name not in _pairs:
        _pairs[name] = Pair(shared_path("models", f"{name}.tflite"))
    return _pairs[name]


def person_input(file: str, convention: str) -> np.ndarray:
    from PIL import Image

    image = Image.open(shared_path("testdata", "person_detection", file))
    if convention == "raw":  # the stored pixel bytes reinterpreted as int8 (upstream's test)
        pixels = np.asarray(image).view(np.int8)
    else:  # natural gray (palette applied) - 128
        pixels = (np.asarray(image.convert("L")).astype(np.int16) - 128).astype(np.int8)
    return pixels.reshape(1, 96, 96, 1)


@pytest.mark.parametrize("clip", sorted(MICRO_SPEECH_EXPECTED))
def test_micro_speech_reference_clips(clip: str) -> None:
    features = shared_path("testdata", "micro_speech", "features", f"{clip}.features.int8").read_bytes()
    x = np.frombuffer(features, np.int8).reshape(1, 1960)
    out = pair("micro_speech_quantized").check(x)
    assert out.tolist() == [MICRO_SPEECH_EXPECTED[clip]]


@pytest.mark.parametrize("file,convention,expected", PERSON_EXPECTED)
def test_person_detect_reference_images(file: str, convention: str, expected: list[int]) -> None:
    out = pair("person_detect").check(person_input(file, convention))
    assert out.tolist() == [expected]


@pytest.mark.parametrize("digit", sorted(MAGIC_WAND_EXPECTED))
def test_magic_wand_reference_strokes(digit: int) -> None:
    raster = shared_path("testdata", "magic_wand", f"stroke_digit{digit}_raster.bin").read_bytes()
    x = np.frombuffer(raster, np.int8).reshape(1, 32, 32, 3)
    out = pair("magic_wand").check(x)
    assert out.tolist() == [MAGIC_WAND_EXPECTED[digit]]


@pytest.mark.parametrize("name", sorted(TFLM_ARENA_BYTES))
def test_random_inputs_match_tflm(name: str) -> None:
    p = pair(name)
    shape = p.model.inputs[0].shape
    rng = np.random.default_rng(sum(map(ord, name)))
    inputs = [np.full(shape, -128, np.int8), np.full(shape, 127, np.int8), np.zeros(shape, np.int8)]
    inputs += [rng.integers(-128, 128, size=shape, dtype=np.int8) for _ in range(RANDOM_INPUTS)]
    mismatches = []
    for i, x in enumerate(inputs):
        ours, theirs = p.model.invoke(x), p.expected(x)
        if not np.array_equal(ours, theirs):
            mismatches.append((i, ours.tolist(), theirs.tolist()))
    assert not mismatches, f"{len(mismatches)}/{len(inputs)} inputs differ, first: {mismatches[:3]}"


@pytest.mark.parametrize("name", sorted(TFLM_ARENA_BYTES))
def test_arena_within_tflm(name: str) -> None:
    model = pair(name).model
    assert 0 < model.arena_bytes <= TFLM_ARENA_BYTES[name], (
        f"{name}: arena {model.arena_bytes} bytes, TFLM needs {TFLM_ARENA_BYTES[name]}")
