"""djLint finds nothing in the templates (the settings are pyproject.toml's [tool.djlint]): the
same check as `make lint`, so that CI runs it with the tests."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_djlint_finds_nothing_in_the_templates():
    result = subprocess.run(
        [sys.executable, "-m", "djlint", "--lint", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert "found 0 errors" in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
