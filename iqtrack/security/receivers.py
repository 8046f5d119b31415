"""Security events from signals: sign-in and sign-out, lockouts, and marking (TLP) changes."""

from __future__ import annotations

import logging

from axes.signals import user_locked_out
from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_init, post_save

from iqtrack.security.events import current_request, log_event, log_marking_change

# The models that carry a TLP marking in their `tlp` field.
MARKED_MODELS = ("questions.Question", "questions.Assessment", "evidence.Evidence")
_LOADED = "_security_tlp_as_loaded"


def signed_in(sender, request, user, **kwargs) -> None:
    log_event("sign_in", "success", request=request, user=user)


def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # `credentials` has the password already masked by Django; only the username is kept.
    username = str(credentials.get("username", ""))
    log_event("sign_in", "failure", request=request, username=username, level=logging.WARNING)


def signed_out(sender, request, user, **kwargs) -> None:
    log_event("sign_out", "success", request=request, user=user)


def locked_out(sender, request, username, ip_address, **kwargs) -> None:
    log_event(
        "lockout", "locked", request=request, username=str(username or ""), level=logging.WARNING
    )


def remember_marking(sender, instance, **kwargs) -> None:
    # From the row as loaded (no query): a deferred `tlp` is simply not compared.
    setattr(instance, _LOADED, instance.__dict__.get("tlp"))


def compare_marking(sender, instance, created: bool, **kwargs) -> None:
    old = getattr(instance, _LOADED, None)
    setattr(instance, _LOADED, instance.tlp)
    if created or old is None or old == instance.tlp:
        return
    request = current_request.get()
    log_marking_change(instance, old, instance.tlp, getattr(request, "user", None))


# Who a marking reaches beyond its team: TLP:RED recipients and TLP:AMBER sharing.
DISTRIBUTIONS = (
    ("questions.Question", "recipients"),
    ("questions.Question", "shared_with"),
    ("evidence.Evidence", "recipients"),
)


def distribution_changed(sender, instance, action: str, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    log_event(
        "distribution_changed",
        action.removeprefix("post_"),
        obj=instance,
        level=logging.WARNING,
        relation=sender._meta.model_name,
        ids=",".join(str(pk) for pk in sorted(pk_set or ())),
    )


def connect() -> None:
    user_logged_in.connect(signed_in, dispatch_uid="security.signed_in")
    user_login_failed.connect(sign_in_failed, dispatch_uid="security.sign_in_failed")
    user_logged_out.connect(signed_out, dispatch_uid="security.signed_out")
    user_locked_out.connect(locked_out, dispatch_uid="security.locked_out")
    for label in MARKED_MODELS:
        model = apps.get_model(label)
        post_init.connect(remember_marking, sender=model, dispatch_uid=f"security.init.{label}")
        post_save.connect(compare_marking, sender=model, dispatch_uid=f"security.save.{label}")
    for label, relation in DISTRIBUTIONS:
        through = getattr(apps.get_model(label), relation).through
        m2m_changed.connect(
            distribution_changed, sender=through, dispatch_uid=f"security.m2m.{label}.{relation}"
        )
