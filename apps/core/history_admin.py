"""The admin's history pages of clinical records: who changed what and when, read-only.

django-simple-history's SIMPLE_HISTORY_REVERT_DISABLED only hides the revert button; a POST
to a version's page would still save that version over the record, around the services'
rules and events. Here it is refused.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history can be read (by those who may view the record) and
    never written back."""

    # The library's list carries an inline style, which the Content-Security-Policy refuses.
    object_history_list_template = "admin/clinical_history_list.html"

    def has_change_history_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        return False

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("History is read-only: a version cannot be restored.")
        return super().history_form_view(request, object_id, version_id, extra_context)
