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

    # or, with the checks every such test makes:
    out = run_harness(exe, "selftest")                     # exit 0, returns stdout
    run_fuzzer("fuzz_post", ["tests/fuzz/fuzz_post.c", *kernel_sources("post")],
               tmp_path, seconds=10, max_len=2048)
    assert_compiles_warning_free(kernel_sources("post"), tmp_path)   # gcc and Cortex-M4

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
# The kernels' portability bar (team rules): no diagnostics with these flags,
# on the host compiler and on the firmware's Cortex-M4 compiler.
STRICT_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-ffp-contract=off", "-O2"]
M4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
WARNING_FREE_TARGETS = (("gcc", ()), ("arm-none-eabi-gcc", tuple(M4_FLAGS)))
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


# Each libFuzzer target tests/fuzz/<name>.c and the kernel folders it links;
# the tests run them briefly, tests/fuzz/run_all.py (`make fuzz`) for minutes.
FUZZ_TARGET_KERNELS = {
    "fuzz_app": ("common", "app", "dsp/audio", "dsp/imu", "post"),
    "fuzz_audio": ("common", "dsp/audio"),
    "fuzz_image": ("common", "dsp/image"),
    "fuzz_imu": ("common", "dsp/imu"),
    "fuzz_jpeg": ("common", "dsp/image"),
    "fuzz_model": ("common", "runtime", "ops", "quant"),
    "fuzz_post": ("common", "post"),
    "fuzz_protocol": ("common", "protocol"),
}


def fuzz_target_sources(name: str) -> list[Path]:
    """The sources of the libFuzzer target `name` (a key of FUZZ_TARGET_KERNELS)."""
    return [REPO_ROOT / "tests" / "fuzz" / f"{name}.c", *kernel_sources(*FUZZ_TARGET_KERNELS[name])]


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


def run_harness(exe: str | os.PathLike, *args: str | os.PathLike, timeout: float = 120,
                cwd: str | os.PathLike | None = None) -> str:
    """Run a sanitizer harness; assert it exits 0 and return its stdout.

    The assertion message carries stdout and stderr (where the harness and the
    sanitizers report), so a failure shows what went wrong.
    """
    result = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                            env=sanitizer_env(), cwd=cwd)
    assert result.returncode == 0, f"{Path(exe).name} {' '.join(map(str, args))} exited {result.returncode}:\n" \
                                   f"{result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result.stdout


def run_fuzzer(name: str, sources: Sequence[str | os.PathLike], work_dir: Path, *, seconds: int = 15,
               max_len: int = 4096, timeout_per_input: int = 5, seeds: dict[str, bytes] | None = None,
               extra_args: Sequence[str] = ()) -> None:
    """Build the libFuzzer target `name` from `sources` and run it for `seconds`.

    Skips the test when no clang is installed.  seeds: file name -> bytes of a
    starting corpus (written under work_dir/corpus).  Asserts the run ends
    cleanly (no crash, sanitizer report, leak or per-input timeout).
    """
    require_compiler(*FUZZER_COMPILERS)
    fuzzer = build_harness(name, sources, fuzzer=True)
    args = [str(fuzzer), f"-max_total_time={seconds}", f"-max_len={max_len}", f"-timeout={timeout_per_input}",
            *extra_args]
    if seeds:
        corpus = work_dir / "corpus"
        corpus.mkdir(exist_ok=True)
        for seed_name, data in seeds.items():
            (corpus / seed_name).write_bytes(data)
        args.append(str(corpus))
    result = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 165, env=sanitizer_env(),
                            cwd=work_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done" in result.stderr, result.stderr[-3000:]


def assert_compiles_warning_free(sources: Sequence[Path], work_dir: Path,
                                 targets: Sequence[tuple[str, Sequence[str]]] = WARNING_FREE_TARGETS) -> None:
    """Each kernel source compiles with STRICT_FLAGS and prints nothing, for every (compiler, flags) target.

    A missing compiler skips the test, naming it.
    """
    assert sources, "no sources to compile"
    for compiler, target_flags in targets:
        cc = require_compiler(compiler)
        for source in sources:
            cmd = [cc, *STRICT_FLAGS, *target_flags, f"-I{KERNELS / 'include'}", "-c", str(source),
                   "-o", str(work_dir / f"{source.stem}.o")]
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            assert result.returncode == 0 and not result.stderr, f"{' '.join(cmd)}\n{result.stderr}"
