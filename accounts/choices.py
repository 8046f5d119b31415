from django.db import models


class Role(models.TextChoices):
    """The three roles, held as Django groups of these names. One person may hold several."""

    LEAD = "lead", "Team lead"
    ANALYST = "analyst", "Analyst"
    REVIEWER = "reviewer", "Reviewer"
