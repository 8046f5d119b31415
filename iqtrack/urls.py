from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import path, reverse_lazy
from django.views.generic import RedirectView


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the smoke test and container health checks."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    # The admin is the only interface so far; the landing page will become the question list.
    path("", RedirectView.as_view(url=reverse_lazy("admin:index")), name="home"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
