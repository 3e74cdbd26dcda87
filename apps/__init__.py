"""The app registry: every apps/<name>.py that defines ``APP = App(...)``.

To add an app, copy one file (e.g. ``cp apps/gesture.py apps/my_app.py``),
change its name, model and labels, and it shows up in ``edgesim apps`` and
``edgesim run my_app``.  ``edgesim run path/to/my_app.py`` runs an app file
kept anywhere else.

    >>> from edgesim.apps import app_names, load_app
    >>> "wake_word" in app_names()
    True
    >>> load_app("wake_word").labels
    ('silence', 'unknown', 'yes', 'no')
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from edgesim.app import App, AppError

APPS_DIR = Path(__file__).resolve().parent
APP_PATH_VARIABLE = "EDGESIM_APPS"


def app_dirs() -> list[Path]:
    """The app path: the EDGESIM_APPS folders (in order), then the bundled apps."""
    extra = [Path(d) for d in os.environ.get(APP_PATH_VARIABLE, "").split(os.pathsep) if d]
    for folder in extra:
        if not folder.is_dir():
            raise AppError(f"{APP_PATH_VARIABLE} names {folder}, which is not a folder")
    return [*extra, APPS_DIR]


def _app_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for folder in reversed(app_dirs()):  # earlier folders win
        files.update({p.stem: p for p in folder.glob("*.py") if not p.stem.startswith("_")})
    return files


def app_names() -> list[str]:
    """Names of the apps on the app path, sorted."""
    return sorted(_app_files())


def _load_file(path: Path) -> App:
    spec = importlib.util.spec_from_file_location(f"edgesim_app_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise AppError(f"cannot load app file {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except AppError:
        raise
    except Exception as error:  # a user's app file: say which file broke and how
        raise AppError(f"app file {path} failed to load: {type(error).__name__}: {error}") from error
    app = getattr(module, "APP", None)
    if not isinstance(app, App):
        raise AppError(f"app file {path} must define APP = App(...) (see apps/wake_word.py)")
    return app


def load_app(name_or_path: str) -> App:
    """An app by name (on the app path) or by the path of an app file."""
    path = Path(name_or_path)
    if path.suffix == ".py":
        if not path.is_file():
            raise AppError(f"app file {path} does not exist")
        return _load_file(path)
    files = _app_files()
    if name_or_path not in files:
        raise AppError(f"unknown app {name_or_path!r}; available: {', '.join(sorted(files))} "
                       f"(or give the path of an app file, or add its folder with --apps DIR)")
    return _load_file(files[name_or_path])


def all_apps() -> list[App]:
    return [load_app(name) for name in app_names()]
