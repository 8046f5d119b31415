from rest_framework.routers import SimpleRouter

from questions.api import analysis, views

router = SimpleRouter()
# The analysis reads share the `questions` and `assessments` prefixes. They come first because
# the API root links each prefix to the last viewset registered under it.
router.register("questions", analysis.QuestionAnalysisViewSet, basename="question-analysis")
router.register("assessments", analysis.AssessmentAnalysisViewSet, basename="assessment-analysis")
router.register("search", analysis.SearchViewSet, basename="search")
router.register("questions", views.QuestionViewSet, basename="question")
router.register("hypotheses", views.HypothesisViewSet, basename="hypothesis")
router.register("evidence-links", views.EvidenceLinkViewSet, basename="evidence-link")
router.register("hypothesis-ratings", views.HypothesisRatingViewSet, basename="hypothesis-rating")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("comments", views.CommentViewSet, basename="comment")
router.register("transitions", views.TransitionViewSet, basename="transition")
