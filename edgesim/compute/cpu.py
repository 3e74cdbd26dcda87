"""Run-time choice between a portable extension module and its AVX2 build.

Wheels must run on any x86-64 CPU, so no module is built for the build
machine's CPU (``-march=native``) unless EDGESIM_NATIVE=1 asks for it.  A
module whose integer kernels profit from wider vectors is also built as
``<name>_avx2`` with ``-mavx2`` (setup.py AVX2_VARIANTS); its kernels are the
same C and give the same bits, so choosing it changes speed only.
"""
from __future__ import annotations

import platform
from functools import lru_cache
from importlib import import_module
from pathlib import Path
from types import ModuleType


@lru_cache(maxsize=1)
def has_avx2() -> bool:
    """Whether this CPU and OS run AVX2 code (Linux's cpuinfo lists a flag only
    when the kernel enabled the register state for it)."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return False
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(line.startswith("flags") and " avx2" in line for line in cpuinfo.splitlines())


def import_fastest(name: str) -> ModuleType:
    """`name`_avx2 when it was built and the CPU has AVX2, else `name`."""
    if has_avx2():
        try:
            return import_module(f"{name}_avx2")
        except ImportError:  # not built on this platform
            pass
    return import_module(name)
