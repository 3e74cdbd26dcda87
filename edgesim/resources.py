"""Where the files every command needs live: in a checkout and in an installed wheel.

A checkout keeps ``firmware/`` and ``renode/`` at the top of the repository; a
wheel or sdist install carries the same folders inside the package as
``edgesim/_data/firmware`` and ``edgesim/_data/renode`` (setup.py copies them),
so nothing but ``edgesim`` is installed top-level.  The C kernels are package
data in both cases (``edgesim/kernels``).  Build products never go inside the
package: they live in the user's cache folder.

    >>> from edgesim import resources
    >>> (resources.firmware_dir() / "app_main.c").is_file()
    True
"""
from __future__ import annotations

import os
from importlib import resources as _importlib_resources
from pathlib import Path

PACKAGE_DIR = Path(str(_importlib_resources.files("edgesim")))
KERNELS_DIR = PACKAGE_DIR / "kernels"
_INSTALLED_DATA = PACKAGE_DIR / "_data"
_CHECKOUT = PACKAGE_DIR.parent


def data_root() -> Path:
    """The folder holding firmware/ and renode/: edgesim/_data when installed,
    the repository root in a checkout (editable install)."""
    return _INSTALLED_DATA if (_INSTALLED_DATA / "firmware").is_dir() else _CHECKOUT


def firmware_dir() -> Path:
    return data_root() / "firmware"


def renode_dir() -> Path:
    return data_root() / "renode"


def testdata_dir() -> Path:
    """Reference inputs laid out like the project's shared/testdata: $EDGESIM_TESTDATA,
    else ../shared/testdata beside a checkout (the robot tests' inputs come from here)."""
    explicit = os.environ.get("EDGESIM_TESTDATA")
    return Path(explicit) if explicit else _CHECKOUT.parent / "shared" / "testdata"


def cache_dir() -> Path:
    """edgesim's cache: $EDGESIM_CACHE, else $XDG_CACHE_HOME/edgesim, else ~/.cache/edgesim."""
    explicit = os.environ.get("EDGESIM_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "edgesim"


def build_dir() -> Path:
    """Where firmware images, tools and Renode inputs are built:
    $EDGESIM_BUILD_DIR, else <cache>/build (~/.cache/edgesim/build)."""
    explicit = os.environ.get("EDGESIM_BUILD_DIR")
    return Path(explicit) if explicit else cache_dir() / "build"
