from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the smoke test and container health checks."""
    return JsonResponse({"status": "ok"})


# Every page that refuses with PermissionDenied answers through here, logged (docs/security.md).
handler403 = "iqtrack.security.views.permission_denied"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/", include("iqtrack.api.urls")),
    # The pages: dashboard at "/", questions, evidence, notifications, sign in and out.
    path("", include("questions.urls")),
]
