"""The import contracts hold, with an empty ignore list, and catch a violation when one appears."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.architecture.rules import PROJECT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(PROJECT / ".importlinter")
    return parser


def test_no_contract_grandfathers_a_violation():
    parser = _contracts()

    assert not [s for s in parser.sections() if parser.has_option(s, "ignore_imports")]


def test_every_app_in_the_tree_has_a_contract_keeping_its_internals():
    text = (PROJECT / ".importlinter").read_text()
    apps = [p.name for p in (PROJECT / "apps").iterdir() if (p / "apps.py").exists()]

    assert [app for app in apps if f"apps.{app}" not in text] == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "source", "reported"),
    [
        ("apps/core/intruder.py", "from apps.accounts import public\n", "apps.core.intruder ->"),
        (
            "apps/accounts/intruder.py",
            "from apps.demo.management.commands import seed_demo\n",
            "apps.accounts.intruder ->",
        ),
        ("apps/accounts/events.py", "import django\n", "apps.accounts.events -> django"),
        ("extracted/intruder.py", "from apps.accounts import models\n", "extracted.intruder ->"),
        ("apps/accounts/intruder.py", "import extracted\n", "apps.accounts.intruder -> extracted"),
    ],
)
def test_lint_imports_catches_a_violation(tmp_path: Path, module: str, source: str, reported: str):
    copy = tmp_path / "repo"
    for name in ("healthportal", "apps", "extracted"):
        shutil.copytree(PROJECT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT / ".importlinter", copy / ".importlinter")
    (copy / module).write_text(source)

    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=copy, capture_output=True, text=True, check=False
    )

    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout
    assert reported in result.stdout
