"""Liveness and readiness endpoints: 200 when healthy, 503 when not, never a redirect."""

from __future__ import annotations

import dataclasses
import datetime as dt

from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (Redis or RabbitMQ, whichever is configured)."""

    timeout: dt.timedelta = dataclasses.field(default=dt.timedelta(seconds=3), repr=False)

    def run(self) -> None:
        from healthportal.celery import app

        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=self.timeout.total_seconds())
        except Exception as exc:
            raise ServiceUnavailable("broker unreachable") from exc


class HealthView(HealthCheckView):
    """django-health-check answers 500 on failure; orchestrators expect 503."""

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        return response


class LiveView(HealthView):
    """The process serves requests; no dependency is consulted."""

    checks = ()


class ReadyView(HealthView):
    """The process can do its work: database, cache and broker answer."""

    checks = (
        "health_check.checks.Database",
        "health_check.checks.Cache",
        "apps.core.health.Broker",
    )
