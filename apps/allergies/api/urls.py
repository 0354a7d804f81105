"""URLs of the allergies part of the patient API, mounted under /api/v1/."""

from django.urls import URLPattern, path

from apps.allergies.api.views import AllergyCollectionApi, SubstanceListApi

urlpatterns: list[URLPattern] = [
    path("me/allergies/", AllergyCollectionApi.as_view(), name="me-allergies"),
    path("substances/", SubstanceListApi.as_view(), name="substances"),
]
