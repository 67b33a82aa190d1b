"""Under CI a skipped test fails (``conftest.py``): an unrun check is never passed as green."""

from pathlib import Path

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text()
SKIPPING = """
import pytest

def test_needs_a_program():
    pytest.skip("the program is not installed")
"""


def test_a_skip_fails_under_ci(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest_subprocess("-p", "no:nbval", "-p", "no:xdist")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*skipped under CI*the program is not installed*"])


def test_a_skip_stays_a_skip_elsewhere(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(SKIPPING)
    pytester.runpytest_subprocess("-p", "no:nbval", "-p", "no:xdist").assert_outcomes(skipped=1)
