"""WSGI entry point (gunicorn ivig.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivig.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps, their modules and tables: about 200,000 objects) lives
# as long as the worker. Kept out of the garbage collector's full passes, which otherwise walk it
# all every few dozen requests (about 100 ms each at 10,000 patients, issue 21).
gc.freeze()
