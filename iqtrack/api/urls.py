"""`/api/`: every app's router in one flat namespace, plus the schema and its two viewers."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from accounts.api.urls import router as accounts_router
from evidence.api.urls import router as evidence_router
from iqtrack.api.errors import not_found
from notifications.api.urls import router as notifications_router
from questions.api.urls import router as questions_router
from tokens.api.urls import router as tokens_router

router = DefaultRouter()
apps = (questions_router, evidence_router, accounts_router, notifications_router, tokens_router)
for app_router in apps:
    router.registry.extend(app_router.registry)

# The schema describes the API, not its data: readable without signing in, so clients can be
# generated from it.
public = {"permission_classes": [AllowAny], "authentication_classes": []}

# The two vendored viewers style themselves with <style> elements and draw icons from data: URLs;
# their scripts stay 'self' only (Swagger UI's start-up script is served as a file: the split
# view). ReDoc parses the schema in a worker made from a blob. Nothing else is relaxed.
viewer_policy = csp_update(
    {"style-src": [SELF, UNSAFE_INLINE], "img-src": [SELF, "data:"], "worker-src": [SELF, "blob:"]}
)
swagger = SpectacularSwaggerSplitView.as_view(url_name="api-schema", **public)
redoc = SpectacularRedocView.as_view(url_name="api-schema", **public)

urlpatterns = [
    path("auth/", include("rest_framework.urls")),  # log in / out for the browsable API
    path("schema/", SpectacularAPIView.as_view(**public), name="api-schema"),
    path("docs/", viewer_policy(swagger), name="api-docs"),
    path("redoc/", viewer_policy(redoc), name="api-redoc"),
    *router.urls,
    re_path(r"", not_found),  # any other path under /api/: a 404 in the one error shape
]
