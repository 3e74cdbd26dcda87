"""Shared fixtures: where the reference data lives, skipping clearly when absent."""
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


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
