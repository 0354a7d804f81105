"""A ModelAdmin mixin that records the Django admin's reads and changes of patients' data.

Admins of other apps take it through apps.audit.public (`PatientAccessAdmin`) and say where a
row's patient is (`audit_patient_field`). One override per kind of page: `get_object` is where
the change and delete pages load their row; the change-history pages (django-simple-history)
record the row they show; `log_addition` follows an add; the
changelist's shown rows are read from the page it built (the query the template then iterates,
so none is added), and an admin action records an update of each selected row.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse

from apps.audit import services
from apps.audit.contracts import Action, Purpose

ACTIONS_BY_METHOD = {"GET": Action.READ, "HEAD": Action.READ}


class PatientAccessAdmin:
    """Mix into a ModelAdmin before admin.ModelAdmin."""

    # The attribute of a row that holds its patient's id ("pk" for the patient itself).
    audit_patient_field = "patient_id"
    # What the log calls this kind of row ("patient", "allergy", "appointment"...).
    audit_resource = ""

    def _audit(self, request: HttpRequest, row: Any, action: Action) -> None:
        services.access_record(
            request,
            patient_id=getattr(row, self.audit_patient_field),
            resource=self.audit_resource,
            resource_id=row.pk,
            action=action,
            purpose=Purpose.ADMINISTRATION,
        )

    def _actor(self, request: HttpRequest) -> None:
        services.actor_set(request, user_id=request.user.pk, actor_role="admin")

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        row = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if row is not None:
            self._actor(request)
            method = request.method or "GET"
            if method in ACTIONS_BY_METHOD:
                action = ACTIONS_BY_METHOD[method]
            elif request.resolver_match and request.resolver_match.url_name.endswith("_delete"):
                action = Action.DELETE
            else:
                action = Action.UPDATE
            self._audit(request, row, action)
        return row

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        # Called once a new row is saved, however save_model saved it.
        self._actor(request)
        self._audit(request, obj, Action.CREATE)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def _audit_action(self, request: HttpRequest) -> None:
        """An admin action (deactivate...) on the selected rows: an update of each."""
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not request.POST.get("action") or not selected:
            return
        self._actor(request)
        model = self.model  # type: ignore[attr-defined]
        rows = model.objects.filter(pk__in=selected).values_list("pk", self.audit_patient_field)
        for pk, patient_id in rows:
            services.access_record(
                request,
                patient_id=patient_id,
                resource=self.audit_resource,
                resource_id=pk,
                action=Action.UPDATE,
                purpose=Purpose.ADMINISTRATION,
            )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.method == "POST":
            self._audit_action(request)
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            self._actor(request)
            for row in changelist.result_list:
                self._audit(request, row, Action.SEARCH)
        return response

    def _audit_history(self, request: HttpRequest, response: HttpResponse, object_id: str) -> None:
        """The history pages render without a template response: find the row's patient."""
        if response.status_code != 200:
            return
        model = self.model  # type: ignore[attr-defined]
        row = model._default_manager.filter(pk=unquote(object_id)).only(
            "pk", self.audit_patient_field
        )
        for found in row:
            self._actor(request)
            self._audit(request, found, Action.READ)

    # Defined for every patient admin, routed only where the admin is a history admin.
    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)  # type: ignore[misc]
        self._audit_history(request, response, object_id)
        return response

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        response = super().history_form_view(  # type: ignore[misc]
            request, object_id, version_id, extra_context
        )
        self._audit_history(request, response, object_id)
        return response
