"""The staff portal's URLs, mounted at /staff/: each area's views module lists its own."""

from apps.portal.views import audit, auth, booking, changes, patients, reviews, schedules, today

app_name = "portal"

urlpatterns = [
    *auth.urlpatterns,
    *booking.urlpatterns,  # before today: its appointments/<id>/<action>/ would catch reschedule
    *today.urlpatterns,
    *patients.urlpatterns,
    *reviews.urlpatterns,
    *schedules.urlpatterns,
    *changes.urlpatterns,
    *audit.urlpatterns,
]
