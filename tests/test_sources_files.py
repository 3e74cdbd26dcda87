"""Image, stroke CSV, IMU CSV and folder sources; the --source dispatcher."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from edgesim.errors import SourceError
from edgesim.sources import open_source
from edgesim.sources.files import STILL_INTERVAL_MS, read_image, read_imu_csv, read_stroke_csv

BMPS = ["person.bmp", "no_person.bmp", "person_96x96.bmp", "no_person_96x96.bmp"]


@pytest.mark.parametrize("name", BMPS)
def test_bmp_pixels_are_decoded_through_the_palette(testdata_dir: Path, name: str) -> None:
    path = testdata_dir / "person_detection" / name
    pixels, pixel_format = read_image(path)
    assert pixel_format == "gray8" and pixels.shape == (96, 96) and pixels.dtype == np.uint8
    with Image.open(path) as image:  # independent decoder: palette index -> palette gray
        expected = np.array(image.convert("L"))
    assert np.array_equal(pixels, expected)


def test_int8_quirk_bmp_is_not_reinterpreted(testdata_dir: Path) -> None:
    """person.bmp stores int8 bytes; the reader must return the stored bytes, not guess and shift them."""
    path = testdata_dir / "person_detection" / "person.bmp"
    blob = path.read_bytes()
    offset = int.from_bytes(blob[10:14], "little")
    stored = np.frombuffer(blob[offset:offset + 96 * 96], dtype=np.uint8).reshape(96, 96)[::-1]  # bottom-up
    assert np.array_equal(read_image(path)[0], stored)


def test_non_identity_palette_is_applied(testdata_dir: Path) -> None:
    path = testdata_dir / "person_detection" / "no_person_96x96.bmp"
    blob = path.read_bytes()
    offset = int.from_bytes(blob[10:14], "little")
    indices = np.frombuffer(blob[offset:offset + 96 * 96], dtype=np.uint8).reshape(96, 96)[::-1]
    pixels = read_image(path)[0]
    assert not np.array_equal(pixels, indices)  # the palette really changes values in this file
    with Image.open(path) as image:
        palette = np.array(image.getpalette()[0::3], dtype=np.uint8)
    assert np.array_equal(pixels, palette[indices])


def test_jpeg_and_png_colour_images(testdata_dir: Path, tmp_path: Path) -> None:
    pixels, pixel_format = read_image(testdata_dir / "person_detection" / "person.jpg")
    assert pixel_format == "rgb888" and pixels.shape == (606, 517, 3)
    rgb = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    Image.fromarray(np.dstack([rgb, np.full((20, 30), 7, np.uint8)])).save(tmp_path / "alpha.png")
    for name in ("c.png", "alpha.png"):
        pixels, pixel_format = read_image(tmp_path / name)
        assert pixel_format == "rgb888" and np.array_equal(pixels, rgb)


def test_image_folder_gives_one_frame_per_file_in_name_order(testdata_dir: Path) -> None:
    folder = testdata_dir / "person_detection"
    with open_source(str(folder), "camera") as source:
        frames = list(source)
    names = sorted(p.name for p in folder.iterdir() if p.suffix in (".bmp", ".jpg"))
    assert source.total_chunks == len(frames) == len(names)
    assert [Path(f.origin).name for f in frames] == names
    assert [f.t_ms for f in frames] == [i * STILL_INTERVAL_MS for i in range(len(names))]


@pytest.mark.parametrize("suffix,blob", [
    (".png", b""),
    (".png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40),
    (".bmp", b"BM" + b"\xff" * 60),
    (".jpg", b"\xff\xd8\xff\xe0 definitely not a jpeg"),
])
def test_corrupt_images_raise_one_clear_error(tmp_path: Path, suffix: str, blob: bytes) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(blob)
    problem = "file is empty" if not blob else "corrupt or unsupported image"
    with pytest.raises(SourceError, match=problem) as error:
        list(open_source(str(path), "camera"))
    assert str(error.value).startswith(str(path))


@pytest.mark.parametrize("name", ["person_96x96.bmp", "person.jpg", "made.png"])
def test_truncated_images_are_rejected(testdata_dir: Path, tmp_path: Path, name: str) -> None:
    if name == "made.png":
        Image.fromarray(np.random.default_rng(3).integers(0, 256, (50, 60, 3), dtype=np.uint8)).save(tmp_path / name)
        blob = (tmp_path / name).read_bytes()
    else:
        blob = (testdata_dir / "person_detection" / name).read_bytes()
    path = tmp_path / f"cut_{name}"
    path.write_bytes(blob[:len(blob) * 2 // 3])
    with pytest.raises(SourceError, match="corrupt or unsupported image"):
        read_image(path)


@pytest.mark.parametrize("digit", [0, 1, 3, 7])
def test_shared_strokes_read_exactly(testdata_dir: Path, digit: int) -> None:
    path = testdata_dir / "magic_wand" / f"stroke_digit{digit}.csv"
    expected = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    with open_source(str(path), "imu") as source:  # the gesture app's sensor kind accepts strokes
        (chunk,) = list(source)
    assert chunk.kind == "stroke" and chunk.points.dtype == np.int8
    assert np.array_equal(chunk.points, expected)


def test_stroke_folder(testdata_dir: Path) -> None:
    with open_source(str(testdata_dir / "magic_wand"), "imu") as source:
        strokes = list(source)
    assert [Path(s.origin).stem for s in strokes] == [f"stroke_digit{d}" for d in (0, 1, 3, 7)]


@pytest.mark.parametrize("text,problem", [
    ("", "file is empty"),
    ("1,2\n3\n", "line 2 has 1 values, expected 2"),
    ("1,2\nfoo,bar\n", "line 2 is not numeric"),
    ("1,2\n3,4,5\n", "line 2 has 3 values"),
    ("1,2\n200,4\n", "must be int8"),
    ("1,2\n1.5,4\n", "line 2 is not numeric"),
    ("x,y\n", "only a header row"),
])
def test_garbage_stroke_csv_rows(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "stroke.csv"
    path.write_text(text)
    with pytest.raises(SourceError, match=problem) as error:
        read_stroke_csv(path)
    assert str(error.value).startswith(str(path))


def test_binary_csv_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "blob.csv"
    path.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(SourceError, match="not a text CSV"):
        open_source(str(path), "imu")


def test_imu_csv_with_header_and_chunks(tmp_path: Path) -> None:
    rows = np.random.default_rng(2).normal(size=(300, 6)).round(4)
    path = tmp_path / "imu.csv"
    path.write_text("ax,ay,az,gx,gy,gz\n" + "\n".join(",".join(f"{v:g}" for v in row) for row in rows) + "\n")
    np.testing.assert_array_equal(read_imu_csv(path), rows.astype(np.float32))
    with open_source(str(path), "imu") as source:
        chunks = list(source)
    assert chunks[0].kind == "imu" and source.total_chunks == len(chunks)
    assert np.array_equal(np.concatenate([c.samples for c in chunks]), rows.astype(np.float32))
    assert chunks[1].t_ms == pytest.approx(len(chunks[0].samples) * 1000 / chunks[0].rate_hz)


@pytest.mark.parametrize("text,problem", [
    ("1,2,3,4,5,6\n1,2,3\n", "line 2 has 3 values, expected 6"),
    ("1,2,3,4,5,6\n1,2,3,4,5,x\n", "line 2 is not numeric"),
    ("1,2,3,4,5,6\n1,2,3,4,5,nan\n", "NaN or infinity"),
])
def test_garbage_imu_csv_rows(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "imu.csv"
    path.write_text(text)
    with pytest.raises(SourceError, match=problem):
        open_source(str(path), "imu")


def test_audio_folder_plays_files_back_to_back(testdata_dir: Path) -> None:
    with open_source(str(testdata_dir / "tts"), "audio") as source:
        chunks = list(source)
    starts = {}
    for chunk in chunks:
        starts.setdefault(Path(chunk.origin).name, chunk.start_sample)
    assert sorted(starts.values()) == [i * 16000 for i in range(len(starts))]
    assert chunks[-1].start_sample + len(chunks[-1].samples) == 16000 * len(starts)


@pytest.mark.parametrize("spec,kind,problem", [
    ("mic", "camera", "gives audio data, but this app needs camera"),
    ("camera", "audio", "gives camera data"),
    ("synthetic:tone", "imu", "gives audio data"),
    ("{testdata}/micro_speech/yes_1000ms.wav", "camera", "gives audio data"),
    ("{testdata}/person_detection/person.jpg", "audio", "gives camera data"),
    ("{testdata}/no/such/file.wav", "audio", "no such file or folder"),
    ("{testdata}/README.md", "audio", "unsupported file type '.md'"),
    ("{testdata}/imu", "camera", "folder has no camera files"),
    ("mic", "radar", "unknown sensor kind 'radar'"),
])
def test_open_source_rejects_mismatches(testdata_dir: Path, spec: str, kind: str, problem: str) -> None:
    with pytest.raises(SourceError, match=problem):
        open_source(spec.format(testdata=testdata_dir), kind)
