"""Shared fixtures: where the reference data lives, skipping clearly when absent.

With CI=true a skip is a failure unless its reason starts with
UNAVAILABLE_HERE: in CI the oracle (tflite_micro), ../shared and the built
extensions must be there, and a test that quietly skips would hide their loss.
Only what truly cannot exist on the CI machine (Renode, a board, a camera)
may skip there, and says so with that prefix.
"""
import os
from collections.abc import Iterator
from pathlib import Path

import pytest


REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
UNAVAILABLE_HERE = "unavailable here:"
STRICT = os.environ.get("CI", "").lower() == "true"


def shared_path(*parts: str) -> Path:
    """Path under ../shared, or skip the test saying what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data {path} not found (expected ../shared beside the repository)")
    return path


@pytest.fixture
def models_dir() -> Path:
    return shared_path("models")


@pytest.fixture
def testdata_dir() -> Path:
    return shared_path("testdata")


@pytest.fixture(scope="module")
def firmware_models() -> Iterator[None]:
    """For a module of firmware tests: the cross toolchain and QEMU present and
    EDGESIM_MODELS set to ../shared/models for the module, restored afterwards."""
    from firmware_support import require_firmware_tools  # here: test_ci_strictness copies this file alone

    require_firmware_tools()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EDGESIM_MODELS", str(shared_path("models")))
        yield


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    return str(longrepr[2] if isinstance(longrepr, tuple) else longrepr)


def _fail_skips_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not (STRICT and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report).removeprefix("Skipped: ")
    if not reason.startswith(UNAVAILABLE_HERE):
        report.outcome = "failed"
        report.longrepr = f"CI=true: this test may not skip in CI ({reason})"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    outcome = yield
    _fail_skips_in_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> object:
    outcome = yield
    _fail_skips_in_ci(outcome.get_result())


pytest_plugins = ["pytester"]  # tests/test_ci_strictness.py runs pytest on small generated suites
