"""With CI=true a skip fails the run (as a failure, or an error when a skipif mark skips at
setup) unless it says the thing cannot exist here."""
from __future__ import annotations

import pytest

from conftest import REPO_ROOT

SUITE = '''
import pytest

def test_oracle_missing():
    pytest.importorskip("no_such_oracle_module_xyz")

def test_board_missing():
    pytest.skip("unavailable here: no board is plugged in")

@pytest.mark.skipif(True, reason="reference data not found")
def test_marked():
    pass
'''


@pytest.mark.parametrize("ci,expected", [("true", {"failed": 1, "errors": 1, "skipped": 1}), ("", {"skipped": 3})])
def test_skips_fail_in_ci_unless_unavailable_here(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                  ci: str, expected: dict[str, int]) -> None:
    monkeypatch.setenv("CI", ci)
    pytester.makeconftest((REPO_ROOT / "tests" / "conftest.py").read_text().replace(
        'pytest_plugins = ["pytester"]', ""))
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(**expected)
    if ci:
        result.stdout.fnmatch_lines(["*CI=true: this test may not skip in CI*"])


def test_a_module_level_skip_fails_collection_in_ci(pytester: pytest.Pytester,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    pytester.makeconftest((REPO_ROOT / "tests" / "conftest.py").read_text().replace(
        'pytest_plugins = ["pytester"]', ""))
    pytester.makepyfile(test_mod='import pytest\npytest.importorskip("tflite_micro_not_here")\n'
                                 'def test_x():\n    pass\n')
    result = pytester.runpytest_subprocess("-q")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*CI=true: this test may not skip in CI*"])
