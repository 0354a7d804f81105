"""Settings modules: local (make run), test, production, bench."""
