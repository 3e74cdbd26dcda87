"""Sources: where an app's input comes from (host only).

``open_source(spec, kind)`` turns a ``--source`` string into a Source for a
sensor of the given kind ("audio", "camera", "imu"; "stroke" for stroke-only
consumers):

  mic, mic:NAME, mic:INDEX      microphone (PortAudio), 16 kHz mono int16
  camera, camera:INDEX|URL      camera or network stream (OpenCV)
  mouse                         gesture strokes drawn in a window
  synthetic:tone[:HZ] | synthetic:noise | synthetic:silence [,duration=S,level=F,seed=N]
  FILE                          .wav, .bmp/.png/.jpg, .avi/.mkv/.mp4/.webm, .csv (IMU or stroke)
  DIR                           every file of the app's kind in the folder, sorted by name

Usage:

    from edgesim.sources import open_source

    with open_source("synthetic:tone:1000,duration=1", "audio") as source:
        for chunk in source:
            ...
"""
from __future__ import annotations

from pathlib import Path

from edgesim.errors import SourceError
from edgesim.sources.base import (AUDIO_RATE_HZ, SOURCE_KINDS, AudioChunk, Chunk, ImageFrame, ImuChunk, Source,
                                  StrokeChunk, require_kind)

__all__ = ["open_source", "Source", "Chunk", "AudioChunk", "ImageFrame", "ImuChunk", "StrokeChunk",
           "AUDIO_RATE_HZ", "SOURCE_KINDS"]


def open_source(spec: str, kind: str) -> Source:
    """The Source a ``--source`` string names, checked against the sensor kind the app needs."""
    if kind not in SOURCE_KINDS:
        raise SourceError(f"unknown sensor kind {kind!r}; expected one of {', '.join(SOURCE_KINDS)}")
    name, _, tail = spec.partition(":")
    if name == "mic":
        require_kind(spec, kind, ("audio",))
        from edgesim.sources.mic import open_mic
        return open_mic(tail)
    if name == "camera":
        require_kind(spec, kind, ("camera",))
        from edgesim.sources.camera import open_camera
        return open_camera(tail)
    if spec == "mouse":
        require_kind(spec, kind, ("imu", "stroke"))
        from edgesim.sources.mouse import open_mouse
        return open_mouse()
    if name == "synthetic":
        require_kind(spec, kind, ("audio",))
        from edgesim.sources.synthetic import open_synthetic
        return open_synthetic(tail)
    from edgesim.sources.files import open_file_source
    return open_file_source(Path(spec).expanduser(), kind)
