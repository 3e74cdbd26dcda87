"""Labelled datasets for ``edgesim eval``: which files, with which labels.

Three layouts are read:

* one sub-folder per label (``DATASET/yes/clip1.wav``), or ``DATASET/labels.csv``
  (``file,label`` rows; a header row and extra columns are fine);
* a CSV manifest given directly (``edgesim eval APP set.csv``): ``file,label``
  rows whose file paths are relative to the manifest (or absolute);
* the Speech Commands layout: label folders plus ``validation_list.txt`` and
  ``testing_list.txt`` (paths like ``yes/0a7c2a8d_nohash_0.wav``).  ``split``
  picks ``testing``, ``validation``, ``train`` (every file in neither list) or
  ``all``; ``_background_noise_`` holds long noise recordings, not samples,
  and is left out; words that are not labels of the app count as ``unknown``
  when the app has that label (as the micro_speech training does).

    files = find_labelled_files(Path("speech_commands_v0.02"), app, split="testing")
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from edgesim.app import App
from edgesim.errors import SourceError
from edgesim.sources.files import AUDIO_SUFFIXES, CSV_SUFFIXES, IMAGE_SUFFIXES

MEDIA_SUFFIXES = {"audio": AUDIO_SUFFIXES, "camera": IMAGE_SUFFIXES, "imu": CSV_SUFFIXES}
SPEECH_COMMANDS_LISTS = {"validation": "validation_list.txt", "testing": "testing_list.txt"}
SPLITS = ("testing", "validation", "train", "all")
BACKGROUND_NOISE = "_background_noise_"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class LabelledFile:
    path: Path
    label: str


def read_manifest(path: Path) -> list[LabelledFile]:
    """``file,label`` rows; files relative to the manifest's folder.  Lines starting with # are comments."""
    files = []
    base = path.parent
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    except OSError as error:
        raise SourceError(f"{path}: cannot read the manifest ({error.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise SourceError(f"{path}: not a UTF-8 CSV file ({error})") from None
    for number, row in enumerate(rows, start=1):
        if not row or row[0].strip().startswith("#"):
            continue
        if len(row) < 2:
            raise SourceError(f"{path}: line {number} needs file,label: {','.join(row)!r}")
        name, label = row[0].strip(), row[1].strip()
        if number == 1 and (name, label) == ("file", "label"):
            continue
        if "\0" in name or not (base / name).is_file():
            raise SourceError(f"{path}: line {number} names {name}, which is not a file in {base}")
        files.append(LabelledFile(base / name, label))
    return files


def is_speech_commands(dataset: Path) -> bool:
    return dataset.is_dir() and any((dataset / name).is_file() for name in SPEECH_COMMANDS_LISTS.values())


def _read_list(dataset: Path, name: str) -> set[str]:
    path = dataset / name
    if not path.is_file():
        return set()
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def speech_commands_files(dataset: Path, app: App, split: str) -> list[LabelledFile]:
    """The ``split`` of a Speech Commands folder, labels mapped onto the app's (see the module docstring)."""
    if split not in SPLITS:
        raise SourceError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    lists = {name: _read_list(dataset, file) for name, file in SPEECH_COMMANDS_LISTS.items()}
    if split in lists and not lists[split]:
        raise SourceError(f"{dataset}: split {split!r} needs {SPEECH_COMMANDS_LISTS[split]}, which is missing or empty")
    held_out = lists["validation"] | lists["testing"]
    files = []
    for path in sorted(dataset.glob("*/*")):
        word = path.parent.name
        if word == BACKGROUND_NOISE or not path.is_file() or path.suffix.lower() not in AUDIO_SUFFIXES:
            continue
        relative = f"{word}/{path.name}"
        if split == "train" and relative in held_out or split in lists and relative not in lists[split]:
            continue
        label = word if word in app.labels or UNKNOWN not in app.labels else UNKNOWN
        files.append(LabelledFile(path, label))
    return files


def find_labelled_files(dataset: Path, app: App, split: str | None = None) -> list[LabelledFile]:
    """The dataset's files and labels in a fixed order (see the module docstring), checked against the app."""
    if dataset.is_file() and dataset.suffix.lower() == ".csv":
        files = read_manifest(dataset)
    elif not dataset.is_dir():
        raise SourceError(f"{dataset}: not a folder of labelled files or a CSV manifest")
    elif (dataset / "labels.csv").is_file():
        files = read_manifest(dataset / "labels.csv")
    elif is_speech_commands(dataset):
        files = speech_commands_files(dataset, app, split or "testing")
    else:
        suffixes = MEDIA_SUFFIXES[app.sensor.kind]
        files = [LabelledFile(p, p.parent.name) for p in sorted(dataset.rglob("*"))
                 if p.is_file() and p.suffix.lower() in suffixes and p.parent != dataset]
    if split is not None and not is_speech_commands(dataset):
        raise SourceError(f"{dataset}: --split needs the Speech Commands layout "
                          f"({' and '.join(SPEECH_COMMANDS_LISTS.values())} in the folder)")
    if not files:
        raise SourceError(f"{dataset}: no labelled files; put them in one folder per label "
                          f"({', '.join(app.labels)}), list them in {dataset / 'labels.csv'} (file,label) "
                          f"or give a CSV manifest")
    unknown = sorted({f.label for f in files} - set(app.labels))
    if unknown:
        raise SourceError(f"{dataset}: label(s) {', '.join(unknown)} are not labels of app {app.name!r} "
                          f"({', '.join(app.labels)})")
    return files
