"""The C runtime's schema tables (runtime/schema.c) agree with the TFLite schema.

Operator names and the field layout of every builtin options table are
re-derived here from the schema module that tflite-micro ships
(schema_py_generated.py, generated from schema.fbs) and compared entry by entry.
"""
from __future__ import annotations

import inspect
import re

import pytest
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

_runtime = pytest.importorskip("edgesim._runtime")

# flatbuffers number type of a scalar getter -> layout letter used in schema.c
_SCALAR_LETTERS = {"Int8Flags": "b", "Uint8Flags": "B", "BoolFlags": "B", "Int16Flags": "h", "Uint16Flags": "H",
                   "Int32Flags": "i", "Uint32Flags": "I", "Int64Flags": "q", "Uint64Flags": "Q",
                   "Float32Flags": "f", "Float64Flags": "d"}


def _enum(cls: type) -> dict[int, str]:
    return {v: k for k, v in vars(cls).items() if not k.startswith("_")}


def _layout(options_class: type) -> str:
    """Field layout letters of a generated options table class, by field id."""
    letters: dict[int, str] = {}
    for name, method in vars(options_class).items():
        if name.startswith("_") or not callable(method) or name in ("Init",) or name.endswith(("AsNumpy", "Length",
                                                                                               "IsNone")):
            continue
        source = inspect.getsource(method)
        offset = re.search(r"Offset\((\d+)\)", source)
        if offset is None:
            continue
        field_id = (int(offset.group(1)) - 4) // 2
        number_type = re.search(r"Get\(flatbuffers\.number_types\.(\w+)", source)
        if "(self, j)" in source:
            letter = "v" if number_type and number_type.group(1) == "Int32Flags" else "V"
        elif "String(" in source:
            letter = "s"
        elif "Indirect" in source:
            letter = "t"
        else:
            letter = _SCALAR_LETTERS[number_type.group(1)]
        letters[field_id] = letter
    return "".join(letters.get(i, "-") for i in range(max(letters) + 1)) if letters else ""


def test_operator_names_match_schema() -> None:
    names = _enum(schema.BuiltinOperator)
    assert _runtime.BUILTIN_COUNT == max(names) + 1
    assert [_runtime.op_name(code) for code in range(_runtime.BUILTIN_COUNT)] == [names[c] for c in sorted(names)]
    assert _runtime.op_name(_runtime.BUILTIN_COUNT) is None


def test_option_layouts_match_schema() -> None:
    types = _enum(schema.BuiltinOptions)
    assert _runtime.OPTIONS_COUNT == max(types) + 1
    mismatches = {}
    for code, name in sorted(types.items()):
        expected = "" if code == 0 else _layout(getattr(schema, name))
        if _runtime.option_layout(code) != expected:
            mismatches[name] = (_runtime.option_layout(code), expected)
    assert not mismatches
    assert _runtime.option_layout(_runtime.OPTIONS_COUNT) is None
