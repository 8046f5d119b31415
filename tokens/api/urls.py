from rest_framework.routers import SimpleRouter

from tokens.api.views import TokenViewSet

router = SimpleRouter()
router.register("tokens", TokenViewSet, basename="token")
