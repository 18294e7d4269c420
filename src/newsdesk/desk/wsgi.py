"""WSGI entry point for any WSGI server (the embedded one is waitress)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.desk.settings")
application = get_wsgi_application()
