"""kernels/post/ in C: the sanitizer harness and a bounded libFuzzer run."""
from __future__ import annotations

import subprocess
from pathlib import Path

from native_build import build_harness, kernel_sources, require_compiler, sanitizer_env


def test_post_kernels_pass_the_c_harness_under_sanitizers() -> None:
    exe = build_harness("test_post", ["tests/c/test_post.c", *kernel_sources("post")])
    result = subprocess.run([exe], capture_output=True, text=True, timeout=60, env=sanitizer_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok post"


def test_post_fuzzer_runs_clean_for_a_bounded_time(tmp_path: Path) -> None:
    require_compiler("clang-14", "clang")
    fuzzer = build_harness("fuzz_post", ["tests/fuzz/fuzz_post.c", *kernel_sources("post")], fuzzer=True)
    result = subprocess.run([fuzzer, "-max_total_time=10", "-max_len=2048", "-timeout=5"],
                            capture_output=True, text=True, timeout=120, env=sanitizer_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done" in result.stderr


def test_post_kernels_compile_warning_free_for_x86_and_cortex_m4(tmp_path: Path) -> None:
    from native_build import KERNELS

    flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", f"-I{KERNELS / 'include'}", "-c"]
    for compiler, target_flags in (("gcc", []), ("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb",
                                                                      "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"])):
        cc = require_compiler(compiler)
        for source in kernel_sources("post"):
            result = subprocess.run([cc, *flags, *target_flags, str(source), "-o", str(tmp_path / "x.o")],
                                    capture_output=True, text=True, timeout=60)
            assert result.returncode == 0 and not result.stderr, (compiler, source.name, result.stderr)
