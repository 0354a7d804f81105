"""gunicorn's settings, read from the working directory (the image's /app) by every start.

The access log names the client, method, path (never the query string, which can carry a
search term or an email), status, size, duration and request id. No referer either: it is
another page's URL with its query.
"""

access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)s %({x-request-id}o)s'
