"""Logging filters (``LOGGING`` in ivig/settings.py)."""

import logging


class RefusalsOnOneLine(logging.Filter):
    """A refused request (403) is logged as one line, "Forbidden (…): /path", without the
    traceback of the ``PermissionDenied`` that caused it: a refusal is expected, not a fault."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
