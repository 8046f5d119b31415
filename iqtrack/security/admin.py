"""django-axes' records in the admin, for superusers only.

Sign-in attempts name accounts and addresses across every team; no visibility rule scopes them
(questions.scoping), so the scoped admin base shows a staff user who is not a superuser none.
This module is imported after axes' own admin (INSTALLED_APPS order) and takes its place.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin

from iqtrack.admin_base import VisibleAdminMixin

for model, model_admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(model_admin.__name__, (VisibleAdminMixin, model_admin), {}))
