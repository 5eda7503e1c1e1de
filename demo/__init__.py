"""Demo and measurement data (docs/clinical-rules.md 9): ``manage.py seed_demo`` (the laptop demo)
and ``manage.py seed_scale`` (a centre of realistic size). Installed only in development and test
settings, never with ``DJANGO_ENV=production`` (ivig/settings.py); it may import every app and no
app imports it (import-linter's layers contract)."""
