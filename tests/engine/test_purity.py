"""docs/clinical-rules.md 2: the engine is pure Python + pydantic; importing it must not import
Django."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import sys
import ivig.engine
from ivig.engine import compute_plan  # noqa: F401
import ivig.engine.plan, ivig.engine.models, ivig.engine.findings  # noqa: E401,F401
leaked = sorted(name for name in sys.modules if name == "django" or name.startswith("django."))
print("LEAKED:" + ",".join(leaked))
"""


def test_engine_imports_without_django() -> None:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "LEAKED:", result.stdout + result.stderr


def test_engine_sources_never_mention_django_imports() -> None:
    engine_dir = PROJECT_ROOT / "ivig" / "engine"
    for source in engine_dir.glob("*.py"):
        for line in source.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            assert not stripped.startswith(("import django", "from django")), source
