"""Simplified Chinese ships complete: every message of the code is in locale/zh_Hans, translated,
not fuzzy, and compiled."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SOURCES = [
    "config",
    "core",
    "org",
    "customers",
    "calls",
    "planning",
    "plans",
    "reports",
    "notifications",
    "templates",
]


def test_every_zh_hans_message_is_translated_and_not_fuzzy():
    catalogue = polib.pofile(str(PO))

    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]

    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalogue_matches_the_po_file():
    po = {
        (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural)
        for e in polib.pofile(str(PO))
        if not e.obsolete
    }
    mo = {
        (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(MO)) if e.msgid
    }

    assert mo == po


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_no_message_of_the_code_is_missing_from_the_catalogue(tmp_path):
    # Extract from a copy of the sources, so the repository's catalogue is not touched.
    for name in [*SOURCES, "locale"]:
        if (ROOT / name).exists():
            shutil.copytree(
                ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
            )
    shutil.copy(ROOT / "manage.py", tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore=tests",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "DEBUG": "1",
            "BAIFANG_VAR_DIR": str(tmp_path / "var"),
            "PYTHONPATH": str(ROOT),
        },
    )
    assert result.returncode == 0, result.stderr
    extracted = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))

    missing = [entry.msgid for entry in extracted if not entry.translated()]

    assert missing == [], "run `make messages` and translate these"
