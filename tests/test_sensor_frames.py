"""The camera sensor defines the frame: one C conversion on the host, identical bytes on every target."""
from __future__ import annotations

import os
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from edgesim.app import AppError
from edgesim.apps import load_app
from edgesim.errors import SourceError
from edgesim.sources.base import ImageFrame
from edgesim.sources.frames import conform_source, to_sensor_frame

QVGA = (320, 240)


def reference_frame(gray: np.ndarray, width: int, height: int) -> np.ndarray:
    """frame.c's arithmetic in exact fractions: centre crop to width:height, area average, half up."""
    h, w = gray.shape
    sx, sy = min(w, h * width // height), min(h, w * height // width)
    left, top = (w - sx) // 2, (h - sy) // 2
    crop = gray[top:top + sy, left:left + sx].astype(np.int64)

    def weights(source: int, out: int) -> np.ndarray:  # (out, source) overlap of output and source pixels
        matrix = np.zeros((out, source), dtype=object)
        for o in range(out):
            begin, end = Fraction(o * source, out), Fraction((o + 1) * source, out)
            for i in range(int(begin), min(source, int(np.ceil(end)))):
                matrix[o, i] = max(Fraction(0), min(end, Fraction(i + 1)) - max(begin, Fraction(i)))
        return matrix

    wy, wx = weights(sy, height), weights(sx, width)
    total = wy.dot(crop.astype(object)).dot(wx.T)
    return np.vectorize(lambda v: int(v / (Fraction(sx * sy, width * height)) + Fraction(1, 2)))(total).astype(np.uint8)


def luma(pixels: np.ndarray, pixel_format: str) -> np.ndarray:
    if pixel_format == "gray8":
        return pixels
    r, g, b = (pixels[..., i].astype(np.int64) for i in ((0, 1, 2) if pixel_format == "rgb888" else (2, 1, 0)))
    return ((9798 * r + 19235 * g + 3735 * b + 16384) >> 15).astype(np.uint8)


@pytest.mark.parametrize("shape,pixel_format,size", [
    ((37, 53), "gray8", (16, 12)),       # down, crop the sides
    ((40, 21, 3), "bgr888", (12, 16)),   # portrait target, crop top and bottom
    ((9, 14, 3), "rgb888", (32, 24)),    # up-scaling
    ((24, 32), "gray8", (32, 24)),       # already the declared frame: unchanged
])
def test_kernel_matches_exact_arithmetic(shape: tuple[int, ...], pixel_format: str, size: tuple[int, int]) -> None:
    pixels = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    out = to_sensor_frame(ImageFrame(0.0, pixels, pixel_format, "x.png"), size)
    assert out.pixel_format == "gray8" and out.pixels.shape == (size[1], size[0])
    assert np.array_equal(out.pixels, reference_frame(luma(pixels, pixel_format), *size))
    if shape == (24, 32):
        assert np.array_equal(out.pixels, pixels)


def test_declared_resolution_is_validated() -> None:
    app = load_app("person_detection")
    with pytest.raises(AppError, match="delivers gray8 frames; format is 'rgb888'"):
        replace(app, sensor=replace(app.sensor, format="rgb888", resolution=QVGA))
    with pytest.raises(AppError, match=r"must be \(width, height\)"):
        replace(app, sensor=replace(app.sensor, resolution=(320, 0)))
    wake = load_app("wake_word")
    with pytest.raises(AppError, match="only a camera sensor declares a resolution"):
        replace(wake, sensor=replace(wake.sensor, resolution=QVGA))
    assert conform_source("untouched", app.sensor) == "untouched"  # no declared resolution: frames as given


def test_unconvertible_frame_names_its_file() -> None:
    with pytest.raises(SourceError, match="odd.png: cannot become a 320x240 sensor frame"):
        to_sensor_frame(ImageFrame(0.0, np.zeros((4, 5, 2), np.uint8), "yuyv", "odd.png"), QVGA)  # odd YUYV width


def qvga_app():
    app = load_app("person_detection")
    return replace(app, sensor=replace(app.sensor, resolution=QVGA))


def events_on(target_name: str, app, specs: list[str]) -> list[list[dict]]:
    from edgesim.evaluation import run_stream
    from edgesim.targets import create_target

    with create_target(target_name) as target:
        target.open(app)
        return [[e.to_dict() for e in run_stream(app, target, spec) if e.type in ("inference", "detection")]
                for spec in specs]


def test_host_equals_emulator_on_every_shared_image_and_a_video(tmp_path: Path) -> None:
    from firmware_support import require_firmware_tools

    require_firmware_tools()
    cv2 = pytest.importorskip("cv2")
    os.environ.setdefault("EDGESIM_MODELS", str(shared_path("models")))
    images = sorted(str(p) for p in shared_path("testdata", "person_detection").iterdir())
    video = tmp_path / "vga.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"FFV1"), 5.0, (640, 480))
    rng = np.random.default_rng(3)
    for _ in range(3):
        writer.write(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8))
    writer.release()
    from edgesim.sources import open_source

    with open_source(str(shared_path("testdata", "person_detection", "person.jpg")), "camera") as source:
        assert next(iter(source)).pixels.nbytes > 76800  # larger than the firmware's frame buffer
    app = qvga_app()
    specs = [*images, str(video)]
    host, emulator = events_on("host", app, specs), events_on("emulator", app, specs)
    assert [sum(ev["type"] == "inference" for ev in e) for e in host] == [1] * len(images) + [3]
    assert emulator == host


def test_frame_too_large_for_the_firmware_is_refused_before_streaming(testdata_dir: Path, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from edgesim.cli import main

    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))
    for name in ("person_96x96.bmp", "person.jpg"):
        (tmp_path / "person").mkdir(exist_ok=True)
        (tmp_path / "person" / name).symlink_to(testdata_dir / "person_detection" / name)

    def no_target(*args: object, **kwargs: object) -> None:
        raise AssertionError("a target was started before the frames were checked")

    monkeypatch.setattr("edgesim.targets.create_target", no_target)
    assert main(["eval", "person_detection", str(tmp_path), "--target", "emulator", "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert "person.jpg: its 517x606 rgb888 frame is 939906 bytes, more than the firmware's 76800-byte" in err
    with pytest.raises(AppError, match="does not fit the firmware's 76800-byte frame buffer"):
        app = load_app("person_detection")
        replace(app, sensor=replace(app.sensor, resolution=(640, 480)))
