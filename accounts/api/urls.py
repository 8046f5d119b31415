from rest_framework.routers import SimpleRouter

from accounts.api.views import TeamViewSet, UserViewSet

router = SimpleRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("users", UserViewSet, basename="user")
