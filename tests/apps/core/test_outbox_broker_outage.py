"""A broker outage loses nothing: requests succeed, events wait in Postgres, then flow."""

from __future__ import annotations

import pytest

from apps.core import outbox
from apps.core.models import OutboxEvent
from tests.conftest import queued_messages

pytestmark = [pytest.mark.integration, pytest.mark.urls("tests.support.urls")]


@pytest.mark.django_db(transaction=True)
def test_event_committed_while_redis_is_down_is_delivered_after_it_returns(
    client, broker_on, queue_name, settings
):
    settings.OUTBOX_CONSUMERS = {queue_name: ("tests.consume", ("*",))}
    broker_on.stop()

    # The request commits its change and event; the on-commit kick fails quietly.
    response = client.post("/test/emit/", {"thing": 9}, content_type="application/json")

    assert response.status_code == 201
    event_id = response.json()["event_id"]
    row = OutboxEvent.objects.get(event_id=event_id)
    assert row.status == OutboxEvent.Status.PENDING

    # The sweep while Redis is still down: nothing is lost and no attempt is spent.
    during = outbox.outbox_relay_batch()
    row.refresh_from_db()
    assert during.broker_unavailable
    assert (row.status, row.attempts) == (OutboxEvent.Status.PENDING, 0)

    broker_on.start()
    after = outbox.outbox_relay_batch()

    row.refresh_from_db()
    assert after.delivered == 1
    assert row.status == OutboxEvent.Status.DELIVERED
    # Celery's protocol 2 body: [args, kwargs, embed]; the envelope is the only argument.
    bodies = queued_messages(broker_on.broker_url, queue_name)
    assert [body[0][0]["event_id"] for body in bodies] == [event_id]
