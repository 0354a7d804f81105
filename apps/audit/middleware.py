"""Writes each request's PHI access records with one INSERT once the response is ready."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.audit import services


class AccessLogMiddleware:
    """Opens the request's buffer, and writes it after the view — on error responses too, so
    refused and failed attempts are kept. Outside any transaction of the view: a rolled-back
    change still leaves the record that it was tried."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        services.buffer_open(request)
        try:
            return self.get_response(request)
        finally:
            services.buffer_flush(request)
