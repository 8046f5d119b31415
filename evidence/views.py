"""Pages for sources and evidence items. What a user may not see is a 404 (questions.visibility)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from evidence import permissions as evidence_permissions
from evidence.forms import EvidenceForm, SourceForm
from evidence.models import ROW_UNREAD, Evidence
from iqtrack.paging import uncounted_page
from iqtrack.prepared import reuses_plans_unfiltered
from iqtrack.response_cache import cached_read
from iqtrack.validation import clean_query
from questions import permissions
from questions.models import EvidenceLink
from questions.visibility import (
    visible_evidence,
    visible_evidence_of,
    visible_questions,
    visible_teams,
)


def _evidence(user):
    return visible_evidence(user).select_related("source", "owner_team")


@login_required
@cached_read
@reuses_plans_unfiltered
def evidence_list(request: HttpRequest) -> HttpResponse:
    # Checked item by item as the list is read in date order, stopping after a page
    # (visible_evidence_of), not by building the set of every item the user may see.
    # Only what a row shows (evidence_ui.evidence_rows): not the item's long texts, nor its
    # team, which the rows do not name.
    items = (
        visible_evidence_of(request.user, Evidence.objects.all())
        .select_related("source")
        .defer(*ROW_UNREAD)
    )
    query = clean_query(request.GET.get("q", ""))
    if query:
        items = items.filter(
            Q(summary__icontains=query)
            | Q(translation__icontains=query)
            | Q(original_text__icontains=query)
            | Q(source__name__icontains=query)
        )
    page = uncounted_page(items, request)
    context = {
        "items": page.items,
        "page": page,
        "query": query,
        "can_record": evidence_permissions.can_record_evidence(request.user, None),
        "can_add_source": evidence_permissions.can_edit_reference(request.user),
    }
    return render(request, "evidence/list.html", context)


@login_required
@cached_read
def evidence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(_evidence(request.user), pk=pk)
    questions = visible_questions(request.user).filter(evidence_links__evidence=item)
    context = {
        "item": item,
        "questions": questions,
        "can_edit": evidence_permissions.can_edit_evidence(request.user, item),
    }
    return render(request, "evidence/detail.html", context)


def _require(decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


def _form(request: HttpRequest, **kwargs) -> EvidenceForm:
    # The sources and the questions to link are offered by pickers (evidence.forms), which
    # also validate them: only questions this user may link evidence to can be chosen.
    return EvidenceForm(
        request.POST or None, user=request.user, teams=visible_teams(request.user), **kwargs
    )


@login_required
@cached_read
@reuses_plans_unfiltered
def evidence_create(request: HttpRequest) -> HttpResponse:
    _require(evidence_permissions.can_record_evidence(request.user, None))
    initial = {"owner_team": visible_teams(request.user).first()}
    for name in ("question", "source"):
        if (value := request.GET.get(name, "")).isdigit():
            initial[name] = int(value)
    form = _form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        _require(
            evidence_permissions.can_record_evidence(request.user, form.cleaned_data["owner_team"])
        )
        question = form.cleaned_data.get("question")
        if question is not None:
            _require(permissions.can_add_evidence_link(request.user, question))
        with transaction.atomic():
            item = form.save(commit=False)
            item.created_by = request.user
            item.save()
            form.save_m2m()
            if question is not None:
                EvidenceLink.objects.create(
                    question=question,
                    evidence=item,
                    relevance=form.cleaned_data["relevance"],
                    linked_by=request.user,
                )
        if question is not None:
            messages.success(
                request, "Evidence recorded and linked. Rate it against the hypotheses."
            )
            return redirect(reverse("questions:detail", args=[question.pk]) + "#evidence")
        messages.success(request, "Evidence recorded.")
        return redirect("evidence:detail", pk=item.pk)
    context = {
        "form": form,
        "item": None,
        "can_add_source": evidence_permissions.can_edit_reference(request.user),
    }
    return render(request, "evidence/form.html", context)


@login_required
@cached_read
def evidence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(_evidence(request.user), pk=pk)
    _require(evidence_permissions.can_edit_evidence(request.user, item))
    form = _form(request, instance=item)
    if request.method == "POST" and form.is_valid():
        _require(
            evidence_permissions.can_record_evidence(request.user, form.cleaned_data["owner_team"])
        )
        with transaction.atomic():  # the item, its history row and its actors, or none
            form.save()
        messages.success(request, "Evidence saved.")
        return redirect("evidence:detail", pk=item.pk)
    return render(request, "evidence/form.html", {"form": form, "item": item})


@login_required
@cached_read
def source_create(request: HttpRequest) -> HttpResponse:
    _require(evidence_permissions.can_edit_reference(request.user))
    form = SourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        source = form.save()
        messages.success(request, f"Source “{source.name}” added.")
        next_url = reverse("evidence:create") + f"?source={source.pk}"
        if (question := request.GET.get("question", "")).isdigit():
            next_url += f"&question={question}"
        return redirect(next_url)
    return render(request, "evidence/source_form.html", {"form": form})
