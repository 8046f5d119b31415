from django.urls import path
from rest_framework.routers import SimpleRouter

from questions.api import views

router = SimpleRouter()
router.register("questions", views.QuestionViewSet, basename="question")
router.register("hypotheses", views.HypothesisViewSet, basename="hypothesis")
router.register("evidence-links", views.EvidenceLinkViewSet, basename="evidence-link")
router.register("hypothesis-ratings", views.HypothesisRatingViewSet, basename="hypothesis-rating")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("comments", views.CommentViewSet, basename="comment")
router.register("transitions", views.TransitionViewSet, basename="transition")

urlpatterns = [path("search/", views.SearchView.as_view(), name="search")]
