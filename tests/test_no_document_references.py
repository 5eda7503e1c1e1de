"""The repository explains itself (docs/): code cites the project's own documents, never one
outside the repository, and no page, label, help text or API description shows a document
reference, a file name or a citation to a person."""

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(settings.BASE_DIR)
OUTSIDE = re.compile(r"\bDESIGN \d|(?<![/\w])API\.md|reference/[a-z_]+\.(csv|md)|\.\./shared")
FOR_PEOPLE = re.compile(r"docs/[a-z-]+\.md|DESIGN \d|API\.md|\.csv\b")


def _tracked(*patterns: str) -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in names]


def test_no_code_cites_a_document_outside_the_repository() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _tracked("*.py", "*.html", "*.toml", "*.css", "*.js")
        if path.exists() and OUTSIDE.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_no_template_shows_a_document_reference() -> None:
    offenders = []
    for path in _tracked("*.html"):
        # Template comments ({# … #}) are for developers; everything else is for people.
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        if FOR_PEOPLE.search(text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.django_db
def test_the_api_schema_shows_no_document_reference(admin_client: Client) -> None:
    schema = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert FOR_PEOPLE.findall(schema) == []


PROJECT_PACKAGES = ("ivig", "formulary", "orders", "authorizations", "infusions", "reminders")


def _form_classes() -> list[Any]:
    """Every form and model form the project defines (its modules imported first)."""
    import importlib
    import pkgutil

    from django import forms

    for package in ("formulary", "orders", "authorizations", "infusions", "reports"):
        for module in pkgutil.iter_modules([str(ROOT / package)]):
            if "form" in module.name or "view" in module.name:
                importlib.import_module(f"{package}.{module.name}")
    found, todo = [], list(forms.BaseForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in (*PROJECT_PACKAGES, "reports"):
            found.append(cls)
    return found


def test_no_label_or_help_text_shows_a_document_reference() -> None:
    """Model fields' names and help texts reach people through forms and the admin."""
    from django.apps import apps

    offenders = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model.__module__.split(".")[0] in PROJECT_PACKAGES
        for field in model._meta.get_fields()
        if FOR_PEOPLE.search(
            f"{getattr(field, 'help_text', '')} {getattr(field, 'verbose_name', '')}"
        )
    ]
    forms = _form_classes()
    assert len(forms) > 10
    offenders += [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in forms
        for name, field in getattr(form, "base_fields", {}).items()
        if FOR_PEOPLE.search(f"{field.help_text} {field.label or ''}")
    ]
    assert offenders == []
