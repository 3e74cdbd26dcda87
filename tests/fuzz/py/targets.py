"""The Python-side parsers that read what users and devices hand edgesim, as fuzz targets.

Each target takes the fuzzer's bytes and may only fail with edgesim's own
errors (EdgesimError): anything else -- IndexError, struct.error, a numpy
error, a hang -- is a bug the fuzzer reports.  Run one with
``python tests/fuzz/py/fuzz.py TARGET [libFuzzer flags] [corpus dir]`` or all
of them with ``make fuzz MINUTES=N``; seeds live in tests/fuzz/corpus/<target>/
(``python tests/fuzz/make_seeds.py`` writes them).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable

from edgesim.errors import EdgesimError

_SCRATCH = Path(tempfile.mkdtemp(prefix="edgesim-fuzz-"))


def _as_file(data: bytes, name: str) -> Path:
    path = _SCRATCH / name
    path.write_bytes(data)
    return path


def wav(data: bytes) -> None:
    from edgesim.sources.wav import read_wav

    read_wav(_as_file(data, "input.wav"))


def stroke_csv(data: bytes) -> None:
    from edgesim.sources.files import read_stroke_csv

    read_stroke_csv(_as_file(data, "stroke.csv"))


def imu_csv(data: bytes) -> None:
    from edgesim.sources.files import read_imu_csv

    read_imu_csv(_as_file(data, "imu.csv"))


def still_image(data: bytes) -> None:
    from edgesim.sources.still_images import Unsupported, decode_image

    try:
        decode_image(data, "image")
    except Unsupported:
        pass


def word_times(data: bytes) -> None:
    from edgesim.evaluation import read_word_times

    # The first byte picks the syntax, the rest is the file.
    read_word_times(_as_file(data[1:], "words.json" if data[:1] == b"j" else "words.csv"))


def labels_csv(data: bytes) -> None:
    from edgesim.apps import load_app
    from edgesim.evaluation import find_labelled_files

    dataset = _SCRATCH / "dataset"
    dataset.mkdir(exist_ok=True)
    (dataset / "labels.csv").write_bytes(data)
    (dataset / "a.csv").write_text("0,0\n")
    find_labelled_files(dataset, load_app("gesture"))


def protocol_stream(data: bytes) -> None:
    from edgesim import protocol

    decoder = protocol.FrameDecoder()
    for frame in decoder.feed(data):
        protocol.decode_message(frame)


def app_parameters(data: bytes) -> None:
    """A bundled app with its stage parameters replaced by the input (JSON)."""
    import dataclasses

    from edgesim.app import Stage
    from edgesim.apps import load_app

    try:
        params = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return
    if not isinstance(params, dict) or not isinstance(params.get("app"), str):
        return
    app = load_app(params["app"]) if params["app"] in ("wake_word", "person_detection", "gesture") else None
    if app is None:
        return
    stage = app.postprocess if params.get("stage") == "post" else app.preprocess
    replaced = Stage(stage.kernel, params.get("params", {}))
    field = "postprocess" if stage is app.postprocess else "preprocess"
    dataclasses.replace(app, **{field: replaced})


TARGETS: dict[str, Callable[[bytes], None]] = {
    "wav": wav,
    "stroke_csv": stroke_csv,
    "imu_csv": imu_csv,
    "still_image": still_image,
    "word_times": word_times,
    "labels_csv": labels_csv,
    "protocol_stream": protocol_stream,
    "app_parameters": app_parameters,
}


def run_one(target: Callable[[bytes], None], data: bytes) -> None:
    """One input: edgesim's own errors are the expected way to reject it."""
    try:
        target(data)
    except EdgesimError:
        pass


def corpus_dir(name: str) -> Path:
    return Path(__file__).resolve().parent.parent / "corpus" / name


def scratch_dir() -> str:
    return os.fspath(_SCRATCH)
