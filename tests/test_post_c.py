"""kernels/post/ in C: the sanitizer harness, a bounded libFuzzer run, warning-free builds."""
from __future__ import annotations

from pathlib import Path

from native_build import assert_compiles_warning_free, build_harness, kernel_sources, run_fuzzer, run_harness


def test_post_kernels_pass_the_c_harness_under_sanitizers() -> None:
    exe = build_harness("test_post", ["tests/c/test_post.c", *kernel_sources("post")])
    assert run_harness(exe, timeout=60).strip() == "ok post"


def test_post_fuzzer_runs_clean_for_a_bounded_time(tmp_path: Path) -> None:
    run_fuzzer("fuzz_post", ["tests/fuzz/fuzz_post.c", *kernel_sources("post")], tmp_path, seconds=10, max_len=2048)


def test_post_kernels_compile_warning_free_for_x86_and_cortex_m4(tmp_path: Path) -> None:
    assert_compiles_warning_free(kernel_sources("post"), tmp_path)
