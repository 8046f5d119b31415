from rest_framework.routers import SimpleRouter

from evidence.api.views import ActorViewSet, EventViewSet, EvidenceViewSet, SourceViewSet

router = SimpleRouter()
router.register("sources", SourceViewSet, basename="source")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("actors", ActorViewSet, basename="actor")
router.register("events", EventViewSet, basename="event")
