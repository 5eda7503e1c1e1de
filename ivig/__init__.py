"""IVIg orders and infusions: the Django project package.

The Celery app is loaded by ``ivig.accounts.apps`` once Django is ready, not here, so that
``ivig.engine`` stays importable without Django (docs/clinical-rules.md 2).
"""
