"""Camera and video sources through OpenCV's VideoCapture (no camera exists on CI machines)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgesim.errors import SourceError
from edgesim.sources import open_source

cv2 = pytest.importorskip("cv2")

FPS = 10.0


def write_ffv1(path: Path, frames: list[np.ndarray]) -> None:
    """FFV1 in AVI is lossless, so the frames read back pixel-exact."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), FPS, (width, height))
    assert writer.isOpened(), "this OpenCV cannot write FFV1 video"
    for frame in frames:
        writer.write(frame)
    writer.release()


def test_video_file_frames_come_out_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(6)]
    path = tmp_path / "clip.avi"
    write_ffv1(path, frames)
    with open_source(str(path), "camera") as source:
        assert not source.is_live and source.total_chunks == 6
        assert source.duration_ms == pytest.approx(600)
        read = list(source)
    assert len(read) == 6
    for index, (frame, expected) in enumerate(zip(read, frames)):
        assert frame.pixel_format == "bgr888" and frame.index == index
        assert frame.t_ms == pytest.approx(index * 1000 / FPS)
        assert np.array_equal(frame.pixels, expected)


def test_truncated_video_is_an_error_not_a_short_stream(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    path = tmp_path / "clip.avi"
    write_ffv1(path, [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(10)])
    cut = tmp_path / "cut.avi"
    cut.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    with pytest.raises(SourceError, match=r"video ends after \d of its 10 frames: the file is truncated"):
        list(open_source(str(cut), "camera"))


def test_camera_index_without_a_camera_is_a_clear_error() -> None:
    capture = cv2.VideoCapture(0)
    present = capture.isOpened()
    capture.release()
    if present:
        pytest.skip("unavailable here: this machine has a camera 0, so the no-camera error cannot be produced")
    with pytest.raises(SourceError, match="cannot open camera 0: no such camera"):
        open_source("camera:0", "camera")
    with pytest.raises(SourceError, match="cannot open camera 0"):
        open_source("camera", "camera")


def test_unreachable_stream_url_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="cannot open http://127.0.0.1:9/stream.mjpg"):
        open_source("camera:http://127.0.0.1:9/stream.mjpg", "camera")


@pytest.mark.parametrize("blob,problem", [
    (b"", "file is empty"),
    (b"RIFF\x10\x00\x00\x00AVI LIST" + b"\x00" * 64, "cannot open"),
    (b"this is not a video" * 100, "cannot open"),
])
def test_corrupt_video_files_are_rejected(tmp_path: Path, blob: bytes, problem: str) -> None:
    path = tmp_path / "broken.avi"
    path.write_bytes(blob)
    with pytest.raises(SourceError, match=problem) as error:
        list(open_source(str(path), "camera"))
    assert str(path) in str(error.value)
