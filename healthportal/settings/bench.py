"""Load tests on loopback: production settings less the TLS redirect and secure-only cookies."""

from healthportal.settings.production import *

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
DEMO_DATA_ALLOWED = True
