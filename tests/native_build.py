"""Compile small C harnesses (sanitizer builds, libFuzzer targets) for the tests.

Every C harness under tests/c/ or tests/fuzz/ is built through this module so
that flags, include paths and caching live in one place.  Builds are cached by
a hash of the compiler, the flags and the content of every source and kernel
header, under build/native-tests/, so a second test run does not recompile.

Usage (from a test)::

    from native_build import build_harness, kernel_sources, require_compiler

    exe = build_harness("model_harness",
                        ["tests/c/model_harness.c", *kernel_sources("common", "runtime")])
    subprocess.run([exe, "model.tflite"], check=True, timeout=60)

    fuzzer = build_harness("fuzz_model", ["tests/fuzz/fuzz_model.c", ...], fuzzer=True)

Paths may be absolute or relative to the repository root.  A missing compiler
skips the calling test with a message naming it (require_compiler).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterable, Sequence

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
KERNELS = REPO_ROOT / "edgesim" / "kernels"
BUILD_DIR = REPO_ROOT / "build" / "native-tests"

# -O1 keeps ASan builds quick to compile and still fast enough to run.
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
COMMON_FLAGS = ["-std=c99", "-g", "-O1", "-Wall", "-Wextra", "-ffp-contract=off", "-fno-strict-aliasing"]
FUZZER_COMPILERS = ("clang-14", "clang")
# Environment for running sanitizer builds: fail loudly on the first report.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "abort_on_error=0:detect_leaks=0:allocator_may_return_null=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def require_compiler(*names: str) -> str:
    """The first of `names` found on PATH, or skip the test naming them."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"C compiler not found on PATH: {' or '.join(names)} (install it to run this test)")


def kernel_sources(*folders: str) -> list[Path]:
    """Every .c file under edgesim/kernels/<folder> for each folder, sorted."""
    return sorted(p for folder in folders for p in (KERNELS / folder).rglob("*.c"))


def _resolve(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p if p.is_absolute() else REPO_ROOT / p


def _digest(compiler: str, flags: Sequence[str], sources: Iterable[Path]) -> str:
    h = hashlib.sha256()
    h.update(compiler.encode())
    h.update("\0".join(flags).encode())
    headers = sorted(KERNELS.rglob("*.h")) + sorted((REPO_ROOT / "tests").rglob("*.h"))
    for path in list(sources) + headers:
        h.update(str(path).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def build_harness(
    name: str,
    sources: Sequence[str | os.PathLike],
    *,
    sanitize: bool = True,
    fuzzer: bool = False,
    extra_flags: Sequence[str] = (),
    compiler: str | None = None,
) -> Path:
    """Compile `sources` into an executable and return its path (cached).

    sanitize: ASan + UBSan with -fno-sanitize-recover=all (gcc by default).
    fuzzer:   a libFuzzer target (clang, -fsanitize=fuzzer,address,undefined);
              skips the test when no clang is installed.
    extra_flags: more compiler flags (e.g. ["-DHARNESS_FEATURE=1"]).
    The kernel include folder is always on the include path.
    """
    if fuzzer:
        cc = compiler or require_compiler(*FUZZER_COMPILERS)
        flags = COMMON_FLAGS + ["-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all"]
    else:
        cc = compiler or require_compiler("gcc", "cc")
        flags = COMMON_FLAGS + (SANITIZE_FLAGS if sanitize else [])
    flags = flags + [f"-I{KERNELS / 'include'}", f"-I{REPO_ROOT / 'tests' / 'c'}"] + list(extra_flags)
    paths = [_resolve(s) for s in sources]
    out_dir = BUILD_DIR / f"{name}-{_digest(cc, flags, paths)}"
    exe = out_dir / name
    if exe.exists():
        return exe
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{name}.{os.getpid()}"
    cmd = [cc, *flags, *map(str, paths), "-lm", "-o", str(tmp)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"building {name} failed:\n{' '.join(cmd)}\n{result.stderr}")
    os.replace(tmp, exe)  # atomic: concurrent test workers never see half a binary
    return exe


def sanitizer_env() -> dict[str, str]:
    """os.environ plus the ASan/UBSan options the harnesses expect."""
    return {**os.environ, **SANITIZER_ENV}
