"""The demo app (demo/) is installed for development and tests only: production settings
(``DJANGO_ENV=production``) do not install it, so neither ``seed_demo`` nor ``seed_scale``
exists there; no production app imports it (import-linter's layers contract)."""

import os
import subprocess
import sys

from django.apps import apps
from django.conf import settings
from django.core.management import get_commands

PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7#kq2!vL9pZ@w4Rt8mN$b3Yc6Hj1Fd5Gs0Ae-Uo_Ii+Ee=Rr*Tt&Yy(Uu)Ii",
    "ALLOWED_HOSTS": "ivig.example.org",
    "DJANGO_SETTINGS_MODULE": "ivig.settings",
}
_PROBE = (
    "import django; django.setup(); from django.apps import apps; "
    "from django.core.management import get_commands; commands = get_commands(); "
    "print(apps.is_installed('demo'), 'seed_demo' in commands, 'seed_scale' in commands)"
)


def _settings_probe(env: dict[str, str]) -> str:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests in this process, never in deployment.
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_settings_do_not_install_the_demo_app() -> None:
    assert _settings_probe(PRODUCTION) == "False False False"


def test_development_settings_install_it_with_both_commands() -> None:
    assert _settings_probe({"DJANGO_SETTINGS_MODULE": "ivig.settings"}) == "True True True"


def test_the_tests_run_with_the_demo_app() -> None:
    assert apps.is_installed("demo")
    assert get_commands()["seed_demo"] == "demo"
    assert get_commands()["seed_scale"] == "demo"
