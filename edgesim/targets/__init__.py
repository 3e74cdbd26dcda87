"""Targets by name: where an app runs (host, emulator, renode, device).

    >>> from edgesim.targets import create_target, target_names
    >>> "host" in target_names()
    True
    >>> target = create_target("host")

Each target lives in its own module and is imported only when asked for, so
a missing optional dependency of one target never breaks the others.  A new
target is one module with a Target subclass plus one line in TARGETS.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from edgesim.errors import TargetError
from edgesim.targets.base import StageTimes, Target

# name -> "module:Class"
TARGETS: dict[str, str] = {
    "host": "edgesim.targets.host:HostTarget",
    "emulator": "edgesim.targets.emulator:EmulatorTarget",
    "renode": "edgesim.targets.renode:RenodeTarget",
    "device": "edgesim.targets.device:DeviceTarget",
}

__all__ = ["StageTimes", "Target", "TARGETS", "create_target", "target_class", "target_names"]


def target_names() -> list[str]:
    return list(TARGETS)


def target_class(name: str) -> type[Target]:
    """The Target subclass registered as ``name``; TargetError when unknown or not built."""
    spec = TARGETS.get(name)
    if spec is None:
        raise TargetError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)}")
    module_name, class_name = spec.split(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            raise TargetError(f"target {name!r} is not available in this edgesim build ({module_name} is missing)") from None
        raise TargetError(f"target {name!r} needs the Python package {error.name!r}: pip install {error.name}") from None
    return getattr(module, class_name)


def create_target(name: str, **options: Any) -> Target:
    """Instantiate a target; options are target specific (e.g. board=, port=)."""
    return target_class(name)(**options)
