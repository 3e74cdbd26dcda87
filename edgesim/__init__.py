"""edgesim: streaming on-device ML apps on host, emulated Cortex-M4 and real boards.

The public API is imported lazily so that `edgesim --help` and the CLI start
fast; `edgesim.Model`, `edgesim.AudioFrontend` and friends resolve on first use.
"""
from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "AudioFrontend": "edgesim.compute.frontend",
    "Model": "edgesim.compute.model",
    "ModelStore": "edgesim.store",
    "open_source": "edgesim.sources",
    "resolve_model": "edgesim.store",
    "StrokeSegmenter": "edgesim.compute.imu",
    "flash_image": "edgesim.mcu.flash",
    "read_metrics": "edgesim.mcu.renode_metrics",
    "App": "edgesim.app",
    "Runner": "edgesim.pipeline",
    "create_target": "edgesim.targets",
    "CommandRecognizer": "edgesim.compute.post",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'edgesim' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_EXPORTS))
