"""The constants host and firmware share, read from config.h: the one Python access point.

edgesim/kernels/include/edgesim/config.h is the single source of truth for the
numbers both sides must agree on (sample rates, frame sizes, model input
shapes).  The firmware includes the header; Python code imports this module,
which reads the header text once at import, so the values are available even
before the C extensions are built (the sources, the app definitions and the
CLI's help need them; the extensions export the same values as module
attributes, and tests/test_constants.py checks that the two agree).

Usage:

    from edgesim import constants

    constants.AUDIO_SAMPLE_RATE_HZ          # 16000
    constants.IMAGE_SIDE                    # 96
    constants.config_value("ES_STROKE_MAX_SAMPLES")   # 320, any #define by name

Only ``#define ES_<NAME> <value>`` lines count, where the value is an integer,
a float literal (``0.95f``) or an arithmetic expression of earlier names in
parentheses; anything else in the header is ignored.
"""
from __future__ import annotations

import ast
import operator
import re
from pathlib import Path
from typing import Union

CONFIG_H = Path(__file__).resolve().parent / "kernels" / "include" / "edgesim" / "config.h"

Number = Union[int, float]

_DEFINE = re.compile(r"^#define\s+(ES_\w+)\s+(.+?)\s*(?:/\*.*)?$", re.MULTILINE)
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv}


def _evaluate(text: str, known: dict[str, Number]) -> Number:
    """Value of a #define body: a number or +, -, *, / of numbers and earlier names."""
    text = re.sub(r"(\d+\.\d*|\.\d+)[fF]\b", r"\1", text)   # C float suffix
    text = re.sub(r"\b(\d+)[uUlL]+\b", r"\1", text)           # C integer suffixes
    text = text.replace("/", "//")  # C integer division (config.h divides only ints)

    def value(node: ast.AST) -> Number:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name) and node.id in known:
            return known[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](value(node.left), value(node.right))
        raise ValueError(f"not a constant expression: {text!r}")

    return value(ast.parse(text, mode="eval").body)


def _read_config(path: Path = CONFIG_H) -> dict[str, Number]:
    values: dict[str, Number] = {}
    for name, body in _DEFINE.findall(path.read_text()):
        try:
            values[name] = _evaluate(body, values)
        except (SyntaxError, ValueError):
            continue  # not a number (none in config.h today); config_value() names it if asked
    return values


_VALUES = _read_config()


def config_value(name: str) -> Number:
    """The value of ``#define <name>`` in config.h, e.g. ``config_value("ES_AUDIO_HOP_SAMPLES")`` -> 320."""
    try:
        return _VALUES[name]
    except KeyError:
        raise KeyError(f"{name} is not a numeric #define in {CONFIG_H}") from None


def _int(name: str) -> int:
    value = config_value(name)
    if not isinstance(value, int):
        raise TypeError(f"{name} in {CONFIG_H} is {value!r}, expected an integer")
    return value


# Wake word audio front end (micro_speech audio preprocessor).
AUDIO_SAMPLE_RATE_HZ: int = _int("ES_AUDIO_SAMPLE_RATE_HZ")
AUDIO_WINDOW_SAMPLES: int = _int("ES_AUDIO_WINDOW_SAMPLES")     # 30 ms analysis window
AUDIO_HOP_SAMPLES: int = _int("ES_AUDIO_HOP_SAMPLES")           # 20 ms between feature frames
AUDIO_FEATURE_CHANNELS: int = _int("ES_AUDIO_FEATURE_CHANNELS")
AUDIO_FEATURE_FRAMES: int = _int("ES_AUDIO_FEATURE_FRAMES")     # frames in one 1 s classifier input

# Person detection camera input.
IMAGE_SIDE: int = _int("ES_IMAGE_SIDE")                         # model input is SIDE x SIDE
IMAGE_MAX_DIM: int = _int("ES_IMAGE_MAX_DIM")                   # largest accepted frame width/height
FW_FRAME_BUFFER_BYTES: int = _int("ES_FW_FRAME_BUFFER_BYTES")   # largest frame the firmware accepts

# Gesture (magic wand).
IMU_SAMPLE_RATE_HZ: int = _int("ES_IMU_SAMPLE_RATE_HZ")
STROKE_MAX_POINTS: int = _int("ES_STROKE_MAX_POINTS")
RASTER_SIDE: int = _int("ES_RASTER_SIDE")
RASTER_CHANNELS: int = _int("ES_RASTER_CHANNELS")
RASTER_RANGE_Q12: int = _int("ES_RASTER_RANGE_Q12")             # raster half-extent in Q12 stroke units
RASTER_MAX_POINTS: int = _int("ES_RASTER_MAX_POINTS")
