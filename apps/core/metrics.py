"""Prometheus metrics at /metrics: outbox lag and dead letters, read at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from apps.core import outbox


class OutboxCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = outbox.outbox_stats()
        yield GaugeMetricFamily(
            "healthportal_outbox_pending_events", "Outbox events not yet relayed", stats.pending
        )
        yield GaugeMetricFamily(
            "healthportal_outbox_dead_events", "Outbox events dead-lettered", stats.dead
        )
        yield GaugeMetricFamily(
            "healthportal_outbox_lag_seconds",
            "Age of the oldest pending outbox event",
            stats.oldest_pending_age_seconds,
        )


registry = CollectorRegistry(auto_describe=False)
registry.register(OutboxCollector())


def metrics_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
