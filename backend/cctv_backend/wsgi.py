"""WSGI entry point (gunicorn cctv_backend.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cctv_backend.settings")
application = get_wsgi_application()
