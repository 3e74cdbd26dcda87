"""File and folder sources: WAV audio, images, video, IMU CSV and stroke CSV.

Every reader checks its input and raises one SourceError naming the file and
the problem (empty, truncated, corrupt, unsupported codec, garbage rows).

  .wav                       audio, converted to 16 kHz mono int16 (notes say how)
  .bmp .png .jpg .jpeg       one image frame; palette images are mapped through
                             their palette, pixels are never reinterpreted
  .avi .mkv .mp4 .webm .mov  video frames
  .csv  (kind "imu")         IMU: rows ax,ay,az,gx,gy,gz (g, deg/s); an optional header row
  .csv  (kind "stroke")      one stroke: rows x,y of int8 values
  DIR                        every file of the wanted kind in the folder, sorted by name

Usage:

    with open_file_source(Path("clips/yes.wav"), "audio") as source:
        for chunk in source: ...
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from edgesim.errors import SourceError
from edgesim.sources.base import (AUDIO_CHUNK_SAMPLES, AUDIO_RATE_HZ, IMU_RATE_HZ, AudioChunk, Chunk, ImageFrame,
                                  ImuChunk, Source, StrokeChunk, require_kind)
from edgesim.sources.camera import frame_format, import_cv2, open_video_file, quietly
from edgesim.sources.still_images import Unsupported, decode_image
from edgesim.sources.wav import read_wav

AUDIO_SUFFIXES = (".wav",)
IMAGE_SUFFIXES = (".bmp", ".png", ".jpg", ".jpeg")
VIDEO_SUFFIXES = (".avi", ".mkv", ".mp4", ".webm", ".mov")
CSV_SUFFIXES = (".csv",)
IMU_COLUMNS = 6
# IMU rows per chunk: a quarter second at the sensor rate keeps stroke detection responsive.
IMU_CHUNK_ROWS = max(1, IMU_RATE_HZ // 4)
# Stream time between still images or strokes read from files (one per second, as a slow camera).
STILL_INTERVAL_MS = 1000.0


class WavSource(Source):
    """A WAV file as AUDIO_CHUNK_SAMPLES-sample chunks of 16 kHz mono int16."""

    kind = "audio"

    def __init__(self, path: Path, start_sample: int = 0) -> None:
        audio = read_wav(path)
        super().__init__(f"WAV file {path} ({audio.source_rate_hz} Hz, {audio.source_channels} ch, "
                         f"{audio.source_bits}-bit)")
        self.samples = audio.samples
        self.notes.extend(audio.notes)
        self._origin = str(path)
        self._start_sample = start_sample
        self.total_chunks = -(-len(self.samples) // AUDIO_CHUNK_SAMPLES)
        self.duration_ms = len(self.samples) * 1000.0 / AUDIO_RATE_HZ

    def __iter__(self) -> Iterator[AudioChunk]:
        for offset in range(0, len(self.samples), AUDIO_CHUNK_SAMPLES):
            if self.closed:
                return
            yield AudioChunk(self._start_sample + offset, self.samples[offset:offset + AUDIO_CHUNK_SAMPLES],
                             origin=self._origin)


def read_image(path: Path) -> tuple[np.ndarray, str]:
    """Decode an image file to (pixels, pixel format); palette images go through their palette.

    BMP, PNG and baseline JPEG need no OpenCV (edgesim.sources.still_images);
    other files and variants go to OpenCV when it is installed."""
    try:
        blob = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: cannot read file ({error.strerror})") from None
    if not blob:
        raise SourceError(f"{path}: file is empty")
    try:
        return decode_image(blob, str(path))
    except Unsupported as reason:
        try:
            cv2 = import_cv2()
        except SourceError:
            raise SourceError(f"{path}: {reason}; reading it needs OpenCV: pip install 'edgesim[live]'") from None
    pixels = quietly(cv2, lambda: cv2.imdecode(np.frombuffer(blob, dtype=np.uint8), cv2.IMREAD_UNCHANGED))
    if pixels is None or pixels.size == 0:
        raise SourceError(f"{path}: corrupt or unsupported image (could not decode it as BMP, PNG or JPEG)")
    if pixels.dtype == np.uint16:
        raise SourceError(f"{path}: 16-bit images are not supported; save it with 8 bits per channel")
    if pixels.dtype != np.uint8:
        raise SourceError(f"{path}: unsupported pixel type {pixels.dtype}; use 8-bit gray or RGB images")
    return frame_format(pixels)


class _OneChunkPerFile(Source):
    """Files read one at a time as one chunk each, in the given order, STILL_INTERVAL_MS apart.

    Subclasses set ``kind`` and implement _read(index, t_ms, path); a file is
    read only when iteration reaches it, so a bad file late in a folder fails there.
    """

    def __init__(self, paths: list[Path], description: str) -> None:
        super().__init__(description)
        self.paths = paths
        self.total_chunks = len(paths)

    def __iter__(self) -> Iterator[Chunk]:
        for index, path in enumerate(self.paths):
            if self.closed:
                return
            yield self._read(index, index * STILL_INTERVAL_MS, path)

    def _read(self, index: int, t_ms: float, path: Path) -> Chunk:
        raise NotImplementedError

    def streams(self) -> Iterator[tuple[str | None, Source]]:
        """One stream per file, each starting at stream time 0 (a single file: this source itself)."""
        if len(self.paths) == 1:
            yield None, self
            return
        for path in self.paths:
            if self.closed:
                return
            yield str(path), type(self)([path], f"{path}")


class ImageFilesSource(_OneChunkPerFile):
    """Image files as frames, one per file (BMP, PNG, JPEG)."""

    kind = "camera"

    def _read(self, index: int, t_ms: float, path: Path) -> ImageFrame:
        pixels, pixel_format = read_image(path)
        return ImageFrame(t_ms=t_ms, pixels=pixels, pixel_format=pixel_format, origin=str(path), index=index)


def _csv_rows(path: Path, what: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of the non-empty, non-comment lines of a CSV file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not a text CSV file (binary data)") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot read file ({error.strerror})") from None
    rows = [(number, [cell.strip() for cell in line.split(",")])
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        raise SourceError(f"{path}: file is empty (expected {what} rows)")
    return rows


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _parse_numeric_rows(path: Path, columns: int, what: str, dtype: type) -> np.ndarray:
    """The rows of a CSV as a (n, columns) array; a first row of names is skipped as a header."""
    rows = _csv_rows(path, what)
    if not any(_is_number(cell) for cell in rows[0][1]):
        rows = rows[1:]
    if not rows:
        raise SourceError(f"{path}: only a header row, no {what} rows")
    values = []
    for number, cells in rows:
        if len(cells) != columns:
            raise SourceError(f"{path}: line {number} has {len(cells)} values, expected {columns} ({what}): "
                              f"{','.join(cells)[:60]!r}")
        try:
            values.append([dtype(cell) for cell in cells])
        except ValueError:
            raise SourceError(f"{path}: line {number} is not numeric ({what}): {','.join(cells)[:60]!r}") from None
    return np.array(values)


def read_stroke_csv(path: Path) -> np.ndarray:
    """A stroke CSV (x,y int8 per row, +y up) -> (n, 2) int8."""
    points = _parse_numeric_rows(path, 2, "x,y int8 stroke points", int)
    if points.min() < -128 or points.max() > 127:
        raise SourceError(f"{path}: stroke coordinates must be int8 (-128..127), found {points.min()}..{points.max()}")
    return points.astype(np.int8)


def read_imu_csv(path: Path) -> np.ndarray:
    """An IMU CSV (ax,ay,az in g, gx,gy,gz in deg/s per row) -> (n, 6) float32."""
    samples = _parse_numeric_rows(path, IMU_COLUMNS, "ax,ay,az,gx,gy,gz IMU samples", float)
    if not np.isfinite(samples).all():
        raise SourceError(f"{path}: IMU samples contain NaN or infinity")
    return samples.astype(np.float32)


def write_stroke_csv(path: Path, points: np.ndarray) -> None:
    """One stroke as read_stroke_csv reads it: a header row, then x,y per row."""
    rows = "".join(f"{int(x)},{int(y)}\n" for x, y in np.asarray(points).reshape(-1, 2))
    path.write_text("x,y\n" + rows, encoding="utf-8")


def write_imu_csv(path: Path, samples: np.ndarray) -> None:
    """IMU samples as read_imu_csv reads them; each float32 printed shortest-exact, so it reads back equal."""
    def cell(value: np.float32) -> str:
        return np.format_float_positional(value, unique=True, trim="-")
    rows = "".join(",".join(cell(v) for v in row) + "\n" for row in np.asarray(samples, np.float32).reshape(-1, IMU_COLUMNS))
    path.write_text("ax,ay,az,gx,gy,gz\n" + rows, encoding="utf-8")


class StrokeFilesSource(_OneChunkPerFile):
    """Stroke CSV files, one StrokeChunk per file."""

    kind = "stroke"

    def _read(self, index: int, t_ms: float, path: Path) -> StrokeChunk:
        return StrokeChunk(t_ms=t_ms, points=read_stroke_csv(path), origin=str(path))


class ImuFileSource(Source):
    """An IMU CSV replayed in IMU_CHUNK_ROWS-row chunks at the sensor rate."""

    kind = "imu"

    def __init__(self, path: Path) -> None:
        self.samples = read_imu_csv(path)
        super().__init__(f"IMU file {path} ({len(self.samples)} samples at {IMU_RATE_HZ} Hz)")
        self._origin = str(path)
        self.total_chunks = -(-len(self.samples) // IMU_CHUNK_ROWS)
        self.duration_ms = len(self.samples) * 1000.0 / IMU_RATE_HZ

    def __iter__(self) -> Iterator[ImuChunk]:
        for offset in range(0, len(self.samples), IMU_CHUNK_ROWS):
            if self.closed:
                return
            yield ImuChunk(t_ms=offset * 1000.0 / IMU_RATE_HZ, samples=self.samples[offset:offset + IMU_CHUNK_ROWS],
                           origin=self._origin)


class AudioFolderSource(Source):
    """Several WAV files played one after the other as one stream (times keep counting)."""

    kind = "audio"

    def __init__(self, paths: list[Path], description: str) -> None:
        super().__init__(description)
        self.paths = paths

    def __iter__(self) -> Iterator[Chunk]:
        start = 0
        for path in self.paths:
            if self.closed:
                return
            wav = WavSource(path, start_sample=start)
            for note in wav.notes:
                if note not in self.notes:
                    self.notes.append(note)
            yield from wav
            start += len(wav.samples)

    def streams(self) -> Iterator[tuple[str | None, Source]]:
        """One stream per file, each starting at sample 0; a file is read when its turn comes."""
        for path in self.paths:
            if self.closed:
                return
            wav = WavSource(path)
            self.notes.extend(note for note in wav.notes if note not in self.notes)
            yield str(path), wav


def _file_kinds(path: Path) -> tuple[str, ...]:
    """Sensor kinds a file can feed, from its suffix."""
    suffix = path.suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return ("audio",)
    if suffix in IMAGE_SUFFIXES or suffix in VIDEO_SUFFIXES:
        return ("camera",)
    if suffix in CSV_SUFFIXES:
        return ("imu", "stroke")
    return ()


def _csv_source(paths: list[Path], kind: str, description: str) -> Source:
    if kind == "imu" and len(paths) == 1:
        # A 2-column CSV fed to an IMU app is a stroke; anything else must be 6-axis IMU rows.
        rows = _csv_rows(paths[0], "IMU or stroke")
        if len(rows[-1][1]) == 2:
            return StrokeFilesSource(paths, description)
        return ImuFileSource(paths[0])
    return StrokeFilesSource(paths, description)


def open_file_source(path: Path, kind: str) -> Source:
    """A source for one file or a folder of files, feeding a sensor of the given kind."""
    if path.is_dir():
        return _open_folder(path, kind)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder (a --source is mic, camera, synthetic:..., "
                          f"a file or a folder)")
    offered = _file_kinds(path)
    if not offered:
        raise SourceError(f"{path}: unsupported file type {path.suffix or '(no suffix)'!r}; expected "
                          f"{', '.join(AUDIO_SUFFIXES + IMAGE_SUFFIXES + VIDEO_SUFFIXES + CSV_SUFFIXES)}")
    wanted = "imu" if kind == "stroke" else kind
    require_kind(str(path), wanted, offered)
    suffix = path.suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return WavSource(path)
    if suffix in IMAGE_SUFFIXES:
        return ImageFilesSource([path], f"image file {path}")
    if suffix in VIDEO_SUFFIXES:
        return open_video_file(path)
    return _csv_source([path], kind, f"stroke file {path}")


def _open_folder(folder: Path, kind: str) -> Source:
    suffixes = {"audio": AUDIO_SUFFIXES, "camera": IMAGE_SUFFIXES, "imu": CSV_SUFFIXES,
                "stroke": CSV_SUFFIXES}.get(kind, ())
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if not paths:
        raise SourceError(f"{folder}: folder has no {kind} files ({', '.join(suffixes)})")
    description = f"folder {folder} ({len(paths)} files)"
    if kind == "audio":
        return AudioFolderSource(paths, description)
    if kind == "camera":
        return ImageFilesSource(paths, description)
    return StrokeFilesSource(paths, description)
