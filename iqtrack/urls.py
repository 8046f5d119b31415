from django.contrib import admin
from django.urls import include, path

from iqtrack.health import healthz
from iqtrack.pickers import picker_options

# A database outage outside a view is a 503 too, not a 500 (iqtrack/unavailable.py).
handler500 = "iqtrack.unavailable.server_error"

# Every page that refuses with PermissionDenied answers through here, logged (docs/security.md).
handler403 = "iqtrack.security.views.permission_denied"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # The search-as-you-type choices of the forms' pickers (sources, questions to link).
    path("pickers/<slug:name>/", picker_options, name="picker"),
    path("api/", include("iqtrack.api.urls")),
    # The pages: dashboard at "/", questions, evidence, notifications, sign in and out.
    path("", include("questions.urls")),
]
