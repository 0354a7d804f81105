"""Rules about the shape of the code that import-linter cannot express."""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent.parent
DOMAIN_APPS = ("accounts", "patients", "allergies", "providers", "scheduling", "audit")
REQUIRED_MODULES = ("public.py", "services.py", "selectors.py")
MODEL_SIGNALS = {
    "pre_init", "post_init", "pre_save", "post_save", "pre_delete", "post_delete",
    "m2m_changed", "pre_migrate", "post_migrate", "class_prepared",
}  # fmt: skip


def missing_domain_modules(apps_dir: Path) -> list[str]:
    """'<app>/<module>' for each domain app present that lacks one of its required modules."""
    missing = []
    for app in DOMAIN_APPS:
        if not (apps_dir / app).is_dir():
            continue
        present = {path.name for path in (apps_dir / app).glob("*.py")}
        missing.extend(f"{app}/{module}" for module in REQUIRED_MODULES if module not in present)
    return missing


def model_signal_uses(source: str) -> list[str]:
    """Names of Django model signals that `source` imports or connects to."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module in {
            "django.db.models.signals",
            "django.core.signals",
        }:
            found.extend(alias.name for alias in node.names if alias.name in MODEL_SIGNALS)
        elif isinstance(node, ast.Attribute) and node.attr in MODEL_SIGNALS:
            found.append(node.attr)
    return found
