"""Domain apps have their three layers; domain code never reacts through model signals."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.rules import PROJECT, missing_domain_modules, model_signal_uses


def test_every_domain_app_has_public_services_and_selectors():
    assert missing_domain_modules(PROJECT / "apps") == []


def test_the_rule_catches_a_domain_app_without_selectors(tmp_path: Path):
    (tmp_path / "patients").mkdir()
    for module in ("public.py", "services.py"):
        (tmp_path / "patients" / module).write_text('"""x"""\n')

    assert missing_domain_modules(tmp_path) == ["patients/selectors.py"]


@pytest.mark.parametrize("package", ["apps", "extracted"])
def test_domain_code_connects_no_model_signals(package: str):
    offenders = {
        str(path.relative_to(PROJECT)): uses
        for path in (PROJECT / package).rglob("*.py")
        if "migrations" not in path.parts and (uses := model_signal_uses(path.read_text()))
    }

    assert offenders == {}


@pytest.mark.parametrize(
    "source",
    [
        "from django.db.models.signals import post_save\n",
        "from django.db.models import signals\nsignals.pre_delete.connect(f)\n",
        "import django\ndjango.db.models.signals.m2m_changed.connect(f)\n",
    ],
)
def test_the_rule_catches_model_signals(source: str):
    assert model_signal_uses(source) != []
