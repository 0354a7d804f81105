"""Load tests on loopback: production settings less the TLS redirect and secure-only cookies.

Adds, for the benchmarks only (bench/): the reference endpoints under /bench/ and a query
counter answering each request's number of queries in X-Bench-Queries. Messages of the
notifications service go to files (NOTIFICATIONS_OUTPUT_DIR): there is no SMTP server on loopback.
"""

from healthportal.settings.production import *

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
DEMO_DATA_ALLOWED = True

ROOT_URLCONF = "healthportal.bench.urls"
# Outermost, so it counts the queries of every other middleware too (sessions, audit).
MIDDLEWARE = ["healthportal.bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
NOTIFICATIONS_EMAIL_BACKEND = "extracted.notifications.channels.MessageFileEmailBackend"
