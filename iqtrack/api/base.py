"""The one base class every API viewset is declared on.

A viewset names its visibility function and what to join; the base does the rest: scoping
every queryset to what the user may see (anything else is a 404), `<rel>_id` filters, ordering,
pagination, and for `etag = True` viewsets ETag on reads and `If-Match` on writes, compared
under a row lock so that of two writers holding the same tag exactly one wins.

Permission rules are the domain's: views call them (`Decision.raise_if_denied()`) and never
restate them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from rest_framework import mixins, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from iqtrack import response_cache
from iqtrack.api.etag import check_if_match, etag_of
from iqtrack.api.parsers import StrictJSONParser
from iqtrack.prepared import reused_plans, unfiltered_read


class _Kept(Exception):
    """A kept answer found after authentication, permissions and throttling: it ends the
    request the way an exception does, without running the handler."""

    def __init__(self, response) -> None:
        self.response = response


class BaseViewSet(viewsets.GenericViewSet):
    visible: Callable  # questions.visibility.visible_<things>(user), as a staticmethod
    # JSON only: form encodings turn an empty value into "not given", which hides mistakes.
    parser_classes = [StrictJSONParser]
    select_related: tuple[str, ...] = ()
    # Columns never shown (a search vector, a joined object's long text): not read at all.
    deferred: tuple[str, ...] = ()
    # Columns of joined rows that a list shows only in brief forms (BriefSerializer.unread): not
    # read for a list, whose sort otherwise carried every matching row's long texts. Not for the
    # other actions, whose rules read more of them.
    list_deferred: tuple[str, ...] = ()
    etag = False
    # GET answers reused while the database is unchanged (iqtrack/response_cache.py): every
    # read, unless a viewset's GET had a side effect that a reused answer would skip (none has).
    cache_reads = True
    _read_key: str | None = None
    # The actions whose queries are prepared statements (iqtrack/prepared.py): those measured
    # faster so. Besides, every list while unfiltered (prepared.unfiltered_read): a list
    # filtered by values (a status, a word) is planned for them, its generic plan being worse.
    reuse_plans_for: frozenset[str] = frozenset()
    # Those queries on their generic plan from the first run (prepared.reused_plans, generic):
    # for the lists measured faster so.
    generic_plans = False

    def perform_authentication(self, request):
        # The token (one row by its hash) or the session and user, as for the pages.
        with reused_plans():
            super().perform_authentication(request)

    def dispatch(self, request, *args, **kwargs):
        # The action this method maps to (DRF's ViewSetMixin sets action_map before dispatch).
        action = getattr(self, "action_map", {}).get(request.method.lower())
        reuse = action in self.reuse_plans_for or (action == "list" and unfiltered_read(request))
        with reused_plans(when=reuse, generic=self.generic_plans):
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.cache_reads and request.method == "GET":
            self._read_key = response_cache.key_for(
                request, request.user, self._credential(request)
            )
            hit = response_cache.kept(self._read_key)
            if hit is not None:
                self._read_key = None  # already kept
                raise _Kept(hit)

    @staticmethod
    def _credential(request) -> str | None:
        if request.auth is not None and getattr(request.auth, "pk", None) is not None:
            return f"token:{request.auth.pk}"
        return response_cache.session_credential(request._request)

    def handle_exception(self, exc):
        if isinstance(exc, _Kept):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._read_key is not None and response.status_code == 200:
            response_cache.keep_when_rendered(self._read_key, response)
        return response

    def get_queryset(self):
        queryset = type(self).visible(self.request.user)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.deferred:
            queryset = queryset.defer(*self.deferred)
        if self.list_deferred and getattr(self, "action", None) == "list":
            # A relation the queryset joins through is read, whatever its brief form shows.
            traversed = {
                "__".join(path.split("__")[:depth])
                for path in self.select_related
                for depth in range(1, path.count("__") + 2)
            }
            queryset = queryset.defer(*(f for f in self.list_deferred if f not in traversed))
        prefetches = self.get_prefetches()
        return queryset.prefetch_related(*prefetches) if prefetches else queryset

    def get_prefetches(self) -> list:
        """Prefetch_related lookups (may depend on the user, e.g. visible evidence only)."""
        return []

    def get_object(self, *, lock: bool = False):
        queryset = self.get_queryset()
        if lock:
            queryset = queryset.select_for_update(of=("self",))
        obj = get_object_or_404(
            queryset, pk=self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        )
        self.check_object_permissions(self.request, obj)
        return obj

    def locked_object(self):
        """The object under a row lock, after checking the client's `If-Match` against it.

        Call inside `transaction.atomic()`.
        """
        instance = self.get_object(lock=True)
        if self.etag:
            check_if_match(self.request, instance)
        return instance

    def refetch(self, instance):
        """Read back through the scoped, joined queryset, so the answer shows what a GET would;
        the written object itself if the write took it out of the user's sight."""
        return self.get_queryset().filter(pk=instance.pk).first() or instance

    def object_response(self, instance, status: int = 200) -> Response:
        response = Response(self.get_serializer(instance).data, status=status)
        if self.etag:
            response["ETag"] = etag_of(instance)
        return response


class ReadMixin(mixins.ListModelMixin):
    def retrieve(self, request, *args, **kwargs):
        return self.object_response(self.get_object())


class CreateMixin:
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            instance = self.perform_create(serializer)
        return self.object_response(self.refetch(instance), status=201)

    def perform_create(self, serializer):
        return serializer.save()


class UpdateMixin:
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.locked_object()
            self.check_can_change(instance)
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            self.perform_update(serializer)
        return self.object_response(self.refetch(instance))

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def perform_update(self, serializer):
        serializer.save()

    def check_can_change(self, instance) -> None:
        """Raise the domain's refusal when the user may not change or delete `instance`."""
        raise NotImplementedError


class DestroyMixin:
    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self.locked_object()
            self.check_can_change(instance)
            self.perform_destroy(instance)
        return Response(status=204)

    def perform_destroy(self, instance) -> None:
        instance.delete()


class ReadOnlyViewSet(ReadMixin, BaseViewSet):
    pass


class ModelViewSet(CreateMixin, UpdateMixin, DestroyMixin, ReadMixin, BaseViewSet):
    pass
