"""The pages' URLs: sign in/out, questions, and (included here) evidence and notifications.

iqtrack/urls.py includes this module at the root, once.
"""

from django.apps import apps
from django.contrib.auth import views as auth_views
from django.urls import include, path

from questions import analysis_views, views

question_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("questions/", views.board, name="board"),
    path("questions/new/", views.question_create, name="create"),
    path("questions/<int:pk>/", views.question_detail, name="detail"),
    path("questions/<int:pk>/do/<str:action>/", views.question_action, name="action"),
    path("questions/<int:pk>/comments/", views.comment_add, name="comment"),
    path("questions/<int:pk>/hypotheses/", views.hypothesis_add, name="hypothesis_add"),
    path("questions/<int:pk>/evidence/", views.evidence_link, name="link"),
    path(
        "questions/<int:pk>/evidence/<int:evidence_pk>/ratings/",
        views.evidence_rate,
        name="rate",
    ),
    path("questions/<int:pk>/assessment/", views.assessment_edit, name="assessment"),
    path("questions/<int:pk>/review/", views.review, name="review"),
    path("questions/<int:pk>/ach/", analysis_views.ach_matrix, name="ach"),
    path("questions/<int:pk>/timeline/", analysis_views.question_timeline, name="timeline"),
    path("timeline/", analysis_views.team_timeline, name="team_timeline"),
    path("search/", analysis_views.search_page, name="search"),
    path("actors/", analysis_views.actor_list, name="actors"),
    path("actors/<int:pk>/", analysis_views.actor_detail, name="actor"),
]

urlpatterns = [
    path("", include((question_patterns, "questions"))),
    path("evidence/", include("evidence.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]

if apps.is_installed("notifications"):
    urlpatterns.append(path("notifications/", include("notifications.urls")))
