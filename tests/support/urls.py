from django.urls import include, path

from tests.support import views

urlpatterns = [
    path("test/emit/", views.EmitView.as_view()),
    path("test/problem/", views.ProblemView.as_view()),
    path("test/private/", views.PrivateView.as_view()),
    path("test/log/", views.LoggingView.as_view()),
    path("", include("healthportal.urls")),
]

handler404 = "apps.core.problems.page_not_found"
