"""Who may see what: the one home of read scoping.

Every entry point that lists, counts, searches or fetches domain objects (the API, the pages,
search, timelines, actor pages, history, notifications, the admin for non-superusers) starts
from these querysets; an object outside them does not exist for that user (the API answers 404).

Grants, then the markings' restrictions on top (TLP 2.0, docs/markings.md):

- questions: those of the user's teams (member or lead), those they are the analyst or the
  reviewer of, TLP:AMBER ones shared with one of their teams, TLP:CLEAR / TLP:GREEN ones for
  every signed-in user, and TLP:RED ones naming them as a recipient; then TLP:RED is withheld
  from everyone not named, and TLP:AMBER+STRICT from everyone outside the owning team;
- everything hanging off a question (hypotheses, comments, transitions) follows its question;
  evidence links and ratings need their evidence visible too; an assessment version needs every
  item it cites visible (it carries the most restrictive marking of what it cites, so its
  audience is the narrowest of theirs) and, when TLP:AMBER+STRICT, the owning team; reviews
  follow their assessment;
- evidence: TLP:CLEAR / TLP:GREEN for every signed-in user; otherwise recorded by the user or
  for one of their teams, or linked to a question they have a need-to-know grant for (team,
  assignment, sharing — not the public grant of a TLP:GREEN question, which would open every
  TLP:AMBER item linked to it to everyone), or naming them as a TLP:RED recipient; then TLP:RED
  is withheld from everyone not named, and TLP:AMBER+STRICT from everyone outside the owning team;
- events: those with no evidence, or with at least one visible evidence item;
- sources and actors: reference data, visible to every signed-in user;
- teams: the user's own; users: the members and leads of the user's teams, and the user;
- API tokens: one's own; notifications: one's own, about a question one may still see;
- superusers see everything; anonymous users see nothing.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import IsNull

from accounts.models import Team
from evidence.choices import Tlp
from evidence.models import Actor, Event, Evidence, Source
from iqtrack.db import AnyOf, compile_conditions_once
from notifications.models import Notification
from questions.models import (
    Assessment,
    Comment,
    EvidenceLink,
    Hypothesis,
    HypothesisRating,
    Question,
    Review,
    Transition,
)
from tokens.models import ApiToken

# Markings whose items any signed-in user may see (TLP 2.0: shareable within the community).
SHAREABLE_TLP = (Tlp.CLEAR, Tlp.GREEN)


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _sees_all(user) -> bool:
    return user.is_superuser


# The user's own few facts (teams, TLP:RED namings, sharing) are subqueries written out once as
# SQL: every visibility condition repeats them, and as ORM querysets nested inside querysets
# Django spent milliseconds of CPU building and relabelling them on each use (a question's page
# built them dozens of times: bench/RESULTS.md). They stay subqueries, so every read sees the
# database as it is now — nothing is remembered between queries.


# One instance each, shared like the output fields Django's own functions declare on their
# class: a page built dozens of these conditions, and a new model field for each was a few
# percent of its CPU.
_IDS = BigIntegerField()
_CONDITION = BooleanField()


def _sql_ids(sql: str, *params) -> RawSQL:
    # Only table and column names from the models' metadata are written into `sql`; every value
    # (the user's id) is a parameter.
    return RawSQL(sql, params, output_field=_IDS)  # noqa: S611


def _col(model, field: str) -> str:
    return model._meta.get_field(field).column


def team_ids(user) -> RawSQL:
    """Ids of the teams `user` belongs to or leads, as a subquery."""
    members = Team.members.through
    return _sql_ids(
        f"SELECT {_col(members, 'team')} FROM {members._meta.db_table} "  # noqa: S608
        f"WHERE {_col(members, 'user')} = %s "
        f"UNION SELECT id FROM {Team._meta.db_table} WHERE {_col(Team, 'lead')} = %s",
        user.pk,
        user.pk,
    )


def _named_in(model, user) -> RawSQL:
    """Ids of the `model` rows (Question or Evidence) naming `user` as a TLP:RED recipient."""
    through = model.recipients.through
    named = _col(through, model._meta.model_name)
    return _sql_ids(
        f"SELECT {named} FROM {through._meta.db_table} "  # noqa: S608
        f"WHERE {_col(through, 'user')} = %s",
        user.pk,
    )


def _shared_with_mine(user) -> RawSQL:
    """Ids of the questions shared with one of `user`'s teams (TLP:AMBER sharing)."""
    through = Question.shared_with.through
    teams = team_ids(user)
    return _sql_ids(
        f"SELECT {_col(through, 'question')} FROM {through._meta.db_table} "  # noqa: S608
        f"WHERE {_col(through, 'team')} IN ({teams.sql})",
        *teams.params,
    )


class _RowCondition(Expression):
    """A condition on a row as one piece of SQL over a few of its columns.

    `sql` names each column `{name}` and takes `params` for its `%s`, in order; `columns` gives
    each name's path from the row (tlp="parent__tlp"), which the ORM joins and aliases as it
    would a lookup's. The visibility conditions below were trees of a dozen ORM lookups each,
    resolved, joined and compiled again on every query that reads questions: more CPU than
    PostgreSQL spent running them (a page of the question list built and compiled them three
    times). As one piece of SQL each, the same SQL, they cost a few string joins.
    """

    conditional = True

    def __init__(self, sql: str, params: tuple, **columns: str) -> None:
        super().__init__(output_field=_CONDITION)
        self.sql, self.params = sql, tuple(params)
        self.names = tuple(columns)
        self.columns = [F(path) for path in columns.values()]

    def get_source_expressions(self) -> list:
        return self.columns

    def set_source_expressions(self, exprs) -> None:
        self.columns = list(exprs)

    def as_sql(self, compiler, connection):
        names = {
            name: compiler.compile(column)[0]
            for name, column in zip(self.names, self.columns, strict=True)
        }
        return f"({self.sql.format(**names)})", self.params


def _named_row_sql(model, user) -> tuple[str, tuple]:
    """The SQL that the row {pk} of `model` names `user` as a TLP:RED recipient, as a probe of
    that one row's namings (EXISTS) rather than `{pk} IN (every item naming them)`: for a row
    reached through a join, whose hashed set PostgreSQL costs as built again for each outer row,
    so that it read every item instead of a question's few (questions.visibility
    ._evidence_visible). The same answer: the namings' ids are never NULL."""
    through = model.recipients.through
    return (
        f"EXISTS (SELECT 1 FROM {through._meta.db_table} "  # noqa: S608
        f"WHERE {_col(through, model._meta.model_name)} = {{pk}} "
        f"AND {_col(through, 'user')} = %s)",
        (user.pk,),
    )


def _withheld_sql(model, user, *, per_row: bool = False) -> tuple[str, tuple]:
    """The SQL of _withheld over {tlp}, {pk} and {owner} (the owning team, which may be NULL:
    no owning team is not the user's). Never NULL for an existing row, so it may be negated.
    `per_row`: the TLP:RED naming checked as _named_row_sql does."""
    named, teams = _named_in(model, user), team_ids(user)
    if per_row:
        named_sql, named_params = _named_row_sql(model, user)
        return (
            f"({{tlp}} = %s AND NOT {named_sql}) OR "
            f"({{tlp}} = %s AND NOT COALESCE({{owner}} IN ({teams.sql}), false))",
            (Tlp.RED.value, *named_params, Tlp.AMBER_STRICT.value, *teams.params),
        )
    return (
        f"({{tlp}} = %s AND NOT ({{pk}} IN ({named.sql}))) OR "
        f"({{tlp}} = %s AND NOT COALESCE({{owner}} IN ({teams.sql}), false))",
        (Tlp.RED.value, *named.params, Tlp.AMBER_STRICT.value, *teams.params),
    )


def _withheld(
    model, user, owning_team: str, prefix: str = "", *, per_row: bool = False
) -> _RowCondition:
    """Rows whose marking hides them from `user` whatever the grants: TLP:RED not naming them,
    TLP:AMBER+STRICT outside the owning team (`owning_team` is the field naming it). `prefix`
    reaches the row through a relation (e.g. "parent__"); `per_row`: see _withheld_sql."""
    sql, params = _withheld_sql(model, user, per_row=per_row)
    return _RowCondition(
        sql, params, tlp=f"{prefix}tlp", pk=f"{prefix}pk", owner=f"{prefix}{owning_team}"
    )


def _need_to_know_sql(user) -> tuple[str, tuple]:
    """The SQL of _need_to_know over a question row's {tlp}, {pk}, {owner} (its team),
    {assignee} and {reviewer}."""
    teams, shared, named = team_ids(user), _shared_with_mine(user), _named_in(Question, user)
    withheld, withheld_params = _withheld_sql(Question, user)
    return (
        f"({{owner}} IN ({teams.sql}) OR {{assignee}} = %s OR {{reviewer}} = %s"
        f" OR ({{tlp}} = %s AND {{pk}} IN ({shared.sql}))"
        f" OR ({{tlp}} = %s AND {{pk}} IN ({named.sql})))"
        f" AND NOT ({withheld})",
        (
            *teams.params,
            user.pk,
            user.pk,
            Tlp.AMBER.value,
            *shared.params,
            Tlp.RED.value,
            *named.params,
            *withheld_params,
        ),
    )


def _need_to_know(user, prefix: str = "") -> _RowCondition:
    """The condition on a question row (reached through `prefix`) that `user` may see it by team,
    assignment, sharing or naming — every grant but the public one of TLP:CLEAR/GREEN — after
    the markings' restrictions.

    A condition on the row itself, not `pk IN (those questions)`: the latter made PostgreSQL
    build the whole set (a scan of every question) even to fetch one (bench/RESULTS.md)."""
    sql, params = _need_to_know_sql(user)
    return _RowCondition(
        sql,
        params,
        tlp=f"{prefix}tlp",
        pk=f"{prefix}pk",
        owner=f"{prefix}team",
        assignee=f"{prefix}assignee",
        reviewer=f"{prefix}reviewer",
    )


def _table_columns(model, alias: str, **fields: str) -> dict[str, str]:
    """{name: alias.column} for `fields` ({name: field name}) of `model`, to write a condition's
    SQL against a table of a subquery of our own."""
    return {name: f"{alias}.{_col(model, field)}" for name, field in fields.items()}


def _evidence_seen_sql(user) -> tuple[str, tuple]:
    """The SQL of "`user` may see this evidence row" over its {tlp}, {pk}, {owner} (owning
    team) and {creator}: the grants of _granted_evidence, the one of a link to a question they
    have a need-to-know grant for checked item by item (EXISTS, as for `among`), then the
    markings' restrictions. NULL where a grant is unknown (no owning team): negate it only
    through COALESCE."""
    teams, named = team_ids(user), _named_in(Evidence, user)
    link, question = EvidenceLink._meta.db_table, Question._meta.db_table
    ntk_sql, ntk_params = _need_to_know_sql(user)
    need_to_know = ntk_sql.format(
        **_table_columns(
            Question,
            "vis_q",
            tlp="tlp",
            pk="id",
            owner="team",
            assignee="assignee",
            reviewer="reviewer",
        )
    )
    linked = (
        f"EXISTS (SELECT 1 FROM {link} vis_link "  # noqa: S608
        f"INNER JOIN {question} vis_q ON vis_q.id = vis_link.{_col(EvidenceLink, 'question')} "
        f"WHERE vis_link.{_col(EvidenceLink, 'evidence')} = {{pk}} AND ({need_to_know}))"
    )
    withheld, withheld_params = _withheld_sql(Evidence, user)
    return (
        f"({{tlp}} IN (%s, %s) OR {{owner}} IN ({teams.sql}) OR {{creator}} = %s"
        f" OR {linked} OR ({{pk}} IN ({named.sql}) AND {{tlp}} = %s))"
        f" AND NOT ({withheld})",
        (
            *(t.value for t in SHAREABLE_TLP),
            *teams.params,
            user.pk,
            *ntk_params,
            *named.params,
            Tlp.RED.value,
            *withheld_params,
        ),
    )


def _visible(user, prefix: str = "") -> Q:
    """The condition on a question row that `user` (signed in, not a superuser) may see it.
    TLP:CLEAR/GREEN rows are never withheld, so the public grant needs no restriction."""
    return Q(**{f"{prefix}tlp__in": SHAREABLE_TLP}) | Q(_need_to_know(user, prefix))


def _question_visible(user, path: str) -> Q:
    """The condition that `user` may see the question reached by `path` (e.g. "question__"):
    checked on the joined question row, so that for one question's objects PostgreSQL looks at
    that one question, where `question IN (visible questions)` built the set of all of them."""
    if not _signed_in(user):
        return Q(pk__in=[])
    if _sees_all(user):
        return Q()
    return _visible(user, path)


def _any_one(rows: QuerySet) -> QuerySet:
    """The id of one of `rows`, or NULL: a scalar subquery that asks whether there is one. In
    no order: the models' orders (a link's by its item's date, a version's by its question's
    priority) added a sort, and the joins it sorts by, to each row's check, for PostgreSQL to
    plan on every query and run on every row."""
    return rows.order_by().values("pk")[:1]


def _question_visible_each(user, question_id: str) -> Q:
    """_question_visible for a read that stops after a page (the API's lists by cursor): the
    question whose id is in the column `question_id` looked up row by row (a scalar subquery).
    Checked on a joined question row instead, PostgreSQL costs the user's subqueries as rebuilt
    for every row, so it joins and sorts every row before keeping a page (18 ms for a page of
    hypotheses at the benchmark's scale, against under 1 ms this way)."""
    if not _signed_in(user) or _sees_all(user):
        return _question_visible(user, "")
    seen = Question.objects.filter(_visible(user), pk=OuterRef(question_id))
    return Q(IsNull(Subquery(_any_one(seen)), False))


_Built = TypeVar("_Built", bound=Callable[..., QuerySet])
# Querysets built by the functions below, kept per process: see _kept_per_user. About 30 KB
# each (measured with tracemalloc on the benchmark's data), so at most this many, the least
# recently used dropped first: about 15 MB at most, for the lists of a few dozen people.
_KEPT: OrderedDict[tuple, QuerySet] = OrderedDict()
KEPT_MAX = 512
_KEPT_LOCK = threading.Lock()


def _kept_per_user(build: _Built) -> _Built:
    """`build(user, **flags)` built once per process for each user and flags; each call gets a
    copy. Django resolves, joins and relabels these trees of conditions and subqueries afresh
    on every call: a tenth to two fifths of the CPU of a list such as the API's steps, reviews
    or events (bench/README.md, "Session 12").

    Safe to keep, as search keeps its statements (questions/search.py): a queryset built here
    holds only who the user is — their id, signed in or not, superuser or not, which are the
    key. What they may see (teams, namings, sharing, links) is in subqueries, read by the
    database each time the query runs, never read while building. A call with anything else (a
    question, ids, the versions the caller read) is built as ever. The copy is `.all()`: a new
    query with no results of its own, so the kept one is never run and never changed. Its
    conditions are also compiled to SQL once (iqtrack.db.CompiledOnce): compiling the same
    nested subqueries for every request cost a question list a tenth of its time."""

    @functools.wraps(build)
    def kept(user, *args, **flags):
        if any(arg is not None for arg in args) or any(
            value is not None and not isinstance(value, bool) for value in flags.values()
        ):
            return build(user, *args, **flags)
        flags = {name: value for name, value in flags.items() if value is not None}
        key = (
            build.__qualname__,
            getattr(user, "pk", None),
            _signed_in(user),
            bool(getattr(user, "is_superuser", False)),
            tuple(sorted(flags.items())),
        )
        with _KEPT_LOCK:  # a threaded server (runserver, a gthread worker) shares the store
            queryset = _KEPT.get(key)
            if queryset is not None:
                _KEPT.move_to_end(key)
        if queryset is None:
            queryset = build(user, **flags)
            compile_conditions_once(queryset)
            with _KEPT_LOCK:
                _KEPT[key] = queryset
                while len(_KEPT) > KEPT_MAX:
                    _KEPT.popitem(last=False)
        return queryset.all()

    return kept  # type: ignore[return-value]


@_kept_per_user
def visible_questions(user) -> QuerySet[Question]:
    if not _signed_in(user):
        return Question.objects.none()
    if _sees_all(user):
        return Question.objects.all()
    return Question.objects.filter(_visible(user))


def with_parent_visibility(questions: QuerySet[Question], user) -> QuerySet[Question]:
    """`questions` annotated with `parent_visible`: whether `user` may see each one's key question
    (a visible sub-question may hang under a TLP:RED key question that is not).

    A correlated EXISTS on the parent's primary key, checked row by row for the rows read (a
    page's). Not `parent_id IN (visible questions)`, which scanned every question for each
    page; and not the condition on a joined parent row, whose join stayed in a list's count and
    page-of-ids query (iqtrack.api.pagination.IdsFirstPaginator) although unused there, and kept
    PostgreSQL from answering that query from an index alone."""
    if not _signed_in(user):
        visible = Value(False)
    elif _sees_all(user):
        visible = Q(parent__isnull=False)
    else:
        visible = Exists(Question.objects.filter(_visible(user), pk=OuterRef("parent_id")))
    return questions.annotate(
        parent_visible=ExpressionWrapper(visible, output_field=BooleanField())
    )


@_kept_per_user
def visible_evidence(
    user, among: QuerySet | Iterable[int] | None = None, *, item_by_item: bool = False
) -> QuerySet[Evidence]:
    """The evidence `user` may see; with `among` (ids, or a queryset of them), only those items.
    `item_by_item`: every item, each checked as it is read (visible_evidence_of), for a read
    that stops after a page (the API's list by cursor), where building the set of every item
    linked to a question the user may see cost 40 ms a request at 200,000 links.

    `among` changes the plan, not the answer: for a question's few items (its page, its ACH
    matrix) the "linked to a question you may see" grant is checked item by item (EXISTS), which
    is fast for a few rows; without it, for lists, the set of linked items is built once and
    looked up (IN), which is fast for many. The wrong one costs a question page 0.5 s or a search
    3 s at 200,000 items (bench/RESULTS.md). Search has its own: visible_evidence_of.
    """
    if item_by_item:
        return visible_evidence_of(user, Evidence.objects.all())
    if not _signed_in(user):
        return Evidence.objects.none()
    if among is None:
        candidates = Evidence.objects.all()
    elif isinstance(among, QuerySet):
        candidates = Evidence.objects.filter(pk__in=among)
    else:
        candidates = Evidence.objects.filter(AnyOf("pk", among))
    if _sees_all(user):
        return candidates
    if among is not None:
        return candidates.filter(_evidence_seen(user))
    links = EvidenceLink.objects.filter(_need_to_know(user, "question__"))
    return _granted_evidence(user, candidates, Q(pk__in=links.values("evidence_id")))


def _evidence_seen(user, prefix: str = "") -> _RowCondition:
    """The condition on an evidence row (reached through `prefix`) that `user` may see it, each
    item checked on its own (visible_evidence with `among`): one piece of SQL, which costs a few
    string joins to build where the same grants as nested querysets cost milliseconds of CPU."""
    sql, params = _evidence_seen_sql(user)
    return _RowCondition(
        sql,
        params,
        tlp=f"{prefix}tlp",
        pk=f"{prefix}pk",
        owner=f"{prefix}owner_team",
        creator=f"{prefix}created_by",
    )


@_kept_per_user
def visible_evidence_each(user) -> QuerySet[Evidence]:
    """visible_evidence(user), each item checked on its own row as it is read: for a queryset
    the caller narrows to a few items by a join (the cited items of a page of versions, as a
    prefetch), where `among` has no ids to take and the plain form built the set of every
    linked item first (1.6 s for a page of assessment versions)."""
    if not _signed_in(user):
        return Evidence.objects.none()
    if _sees_all(user):
        return Evidence.objects.all()
    return Evidence.objects.filter(_evidence_visible(user, ""))


def visible_evidence_of(user, candidates: QuerySet[Evidence]) -> QuerySet[Evidence]:
    """`candidates` (an Evidence queryset: search's matches) narrowed to what `user` may see,
    each item checked as it is read — for a scan that stops after a few (the newest matches).

    The linked-to-a-question grant is a scalar subquery (that item's first such link, or NULL),
    not EXISTS: PostgreSQL may turn an EXISTS under OR into a lookup in the hashed set of every
    linked item when it guesses many rows will be checked — the very build this avoids (0.1 s at
    200,000 links)."""
    if not _signed_in(user):
        return Evidence.objects.none()
    if _sees_all(user):
        return candidates
    links = EvidenceLink.objects.filter(_need_to_know(user, "question__"))
    first_link = _any_one(links.filter(evidence=OuterRef("pk")))
    candidates = candidates.alias(_first_visible_link=Subquery(first_link))
    return _granted_evidence(user, candidates, Q(_first_visible_link__isnull=False))


def visible_linked_evidence(user, question: Question) -> QuerySet[Evidence]:
    """The items linked to `question` that `user` may see: the answer of
    `visible_evidence(user, among=<the question's links>)`, planned for a matrix of hundreds of
    rows (the ACH matrix).

    The links are read first, in one small query that also asks whether `user` has a
    need-to-know grant for `question` itself. When they do — the analyst, the reviewer, the
    question's team: nearly every reader of a matrix — every linked item already has the grant
    "linked to a question you may see", so only the markings' restrictions remain to apply,
    without looking up each item's other links. Otherwise (a TLP:CLEAR or TLP:GREEN question
    read by someone outside it) each item is checked as `visible_evidence` checks it.

    The ids are then passed as a list (one array, iqtrack.db.AnyOf), not a subquery: PostgreSQL
    reads them by one index scan,
    where the subquery made it plan a nested loop over the links whose estimate counted the
    visibility subplans once per row (with JIT on, compiling that plan took 100–200 ms for a query
    that runs in 3: 20 × 300 matrix, bench/RESULTS.md).
    """
    if not _signed_in(user):
        return Evidence.objects.none()
    if _sees_all(user):
        return Evidence.objects.filter(question_links__question=question)
    own_question = Question.objects.filter(_need_to_know(user), pk=question.pk)
    # Unordered: the links' own order joins the question and the items only to sort ids.
    links = list(
        question.evidence_links.order_by()
        .annotate(through_question=Exists(own_question))
        .values_list("evidence_id", "through_question")
    )
    ids = [evidence_id for evidence_id, _ in links]
    if links and links[0][1]:
        return Evidence.objects.filter(AnyOf("pk", ids)).exclude(
            _withheld(Evidence, user, "owner_team")
        )
    return visible_evidence(user, among=ids)


def _granted_evidence(user, candidates: QuerySet[Evidence], linked: Q) -> QuerySet[Evidence]:
    grants = (
        Q(tlp__in=SHAREABLE_TLP)
        | Q(owner_team__in=team_ids(user))
        | Q(created_by=user)
        | linked
        | Q(tlp=Tlp.RED, pk__in=_named_in(Evidence, user))
    )
    return candidates.filter(grants).exclude(_withheld(Evidence, user, "owner_team"))


@_kept_per_user
def visible_sources(user) -> QuerySet[Source]:
    return Source.objects.all() if _signed_in(user) else Source.objects.none()


@_kept_per_user
def visible_actors(user) -> QuerySet[Actor]:
    return Actor.objects.all() if _signed_in(user) else Actor.objects.none()


@_kept_per_user
def visible_events(user) -> QuerySet[Event]:
    if not _signed_in(user):
        return Event.objects.none()
    if _sees_all(user):
        return Event.objects.all()
    through = Event.evidence.through.objects
    with_visible = through.filter(evidence__in=visible_evidence(user)).values("event")
    with_any = through.values("event")
    return Event.objects.filter(Q(pk__in=with_visible) | ~Q(pk__in=with_any))


def seen_by_recipient(*, recipient: str = "recipient", question: str = "question") -> Q:
    """Rows (notices) whose `recipient` may see their `question`: visible_questions(recipient)
    contains question, for every row at once — the notifications' check at delivery and before
    email, since a marking or a team may have changed between deciding on a notice and sending
    it.

    The same rules as visible_questions, written against the row's own recipient instead of one
    known user, so a batch addressed to any number of people is checked in one pass with a few
    index probes per row (a branch per recipient, each building that person's visible set, cost
    the first sweep of the benchmark's backlog minutes). tests/test_delivery_visibility.py checks
    that both say the same for every person and question of a planted world.
    """
    user = f"{recipient}_id"
    q = question

    def member_of(team: str) -> Q:
        """The recipient belongs to or leads the team `team` (an expression on the row)."""
        memberships = Team.members.through.objects.filter(
            team_id=OuterRef(team), user_id=OuterRef(user)
        )
        return Q(**{f"{team}__lead_id": F(user)}) | Q(Exists(memberships))

    def named() -> Exists:
        """The question names the recipient as a TLP:RED recipient."""
        return Exists(
            Question.recipients.through.objects.filter(
                question_id=OuterRef(f"{q}_id"), user_id=OuterRef(user)
            )
        )

    # A TLP:AMBER question shared with a team the recipient belongs to or leads.
    shared_with_mine = Exists(
        Question.shared_with.through.objects.filter(question_id=OuterRef(f"{q}_id")).filter(
            Q(team__lead_id=OuterRef(user)) | Q(team__members__id=OuterRef(user))
        )
    )
    grants = (
        member_of(f"{q}__team")
        | Q(**{f"{q}__assignee_id": F(user)})
        | Q(**{f"{q}__reviewer_id": F(user)})
        | (Q(**{f"{q}__tlp": Tlp.AMBER}) & Q(shared_with_mine))
        | (Q(**{f"{q}__tlp": Tlp.RED}) & Q(named()))
    )
    withheld = (Q(**{f"{q}__tlp": Tlp.RED}) & ~Q(named())) | (
        Q(**{f"{q}__tlp": Tlp.AMBER_STRICT}) & ~member_of(f"{q}__team")
    )
    need_to_know = grants & ~withheld
    return Q(**{f"{recipient}__is_active": True}) & (
        Q(**{f"{recipient}__is_superuser": True})
        | Q(**{f"{q}__tlp__in": SHAREABLE_TLP})
        | need_to_know
    )


@_kept_per_user
def visible_hypotheses(user, *, item_by_item: bool = False) -> QuerySet[Hypothesis]:
    """`item_by_item`: for a read that stops after a page (_question_visible_each)."""
    if item_by_item:
        return Hypothesis.objects.filter(_question_visible_each(user, "question_id"))
    return Hypothesis.objects.filter(_question_visible(user, "question__"))


def _evidence_visible(
    user, prefix: str, *, linked_through: Q | None = None, item_by_item: bool = False
) -> Q:
    """The condition that `user` (signed in, not a superuser) may see the evidence item reached
    by `prefix` (e.g. "evidence__"): visible_evidence's rules checked on the joined item row.

    Not `evidence IN (visible evidence)`, which built the set of every visible item (a scan of
    all 200,000) even for one question's links or one rating. The "linked to a question you
    have a need-to-know grant for" grant is an EXISTS: PostgreSQL checks it row by row for a
    few rows and as one hashed set of linked items for many (its alternative subplans).
    `linked_through`: a cheaper condition on the row that implies that grant (a link's own
    question, when it is a need-to-know one), tried first. `item_by_item`: that grant as the
    item's first such link or NULL (a scalar subquery, as visible_evidence_of does), which
    PostgreSQL cannot turn into the hashed set: for a read that stops after a page, where
    building the set cost 40 ms at 200,000 links (a page of /api/evidence-links/)."""
    links = EvidenceLink.objects.filter(_need_to_know(user, "question__"))
    mine = links.filter(evidence=OuterRef(f"{prefix}pk"))
    first = Subquery(_any_one(mine))
    linked = Q(IsNull(first, False)) if item_by_item else Q(Exists(mine))
    if linked_through is not None:
        linked = linked_through | linked
    named_sql, named_params = _named_row_sql(Evidence, user)
    grants = (
        Q(**{f"{prefix}tlp__in": SHAREABLE_TLP})
        | Q(**{f"{prefix}owner_team__in": team_ids(user)})
        | Q(**{f"{prefix}created_by": user})
        | Q(
            _RowCondition(
                f"{{tlp}} = %s AND {named_sql}",
                (Tlp.RED.value, *named_params),
                tlp=f"{prefix}tlp",
                pk=f"{prefix}pk",
            )
        )
        | linked
    )
    return grants & ~Q(_withheld(Evidence, user, "owner_team", prefix, per_row=True))


@_kept_per_user
def visible_evidence_links(user, *, item_by_item: bool = False) -> QuerySet[EvidenceLink]:
    """`item_by_item`: each link's item checked as it is read (see _evidence_visible), for a
    read that stops after a page."""
    if not _signed_in(user):
        return EvidenceLink.objects.none()
    if _sees_all(user):
        return EvidenceLink.objects.all()
    # A link to a question the user has a need-to-know grant for is itself the grant "linked to
    # a question you may see" for its item: only the markings' restrictions remain for it.
    return EvidenceLink.objects.filter(
        _question_visible(user, "question__"),
        _evidence_visible(
            user,
            "evidence__",
            linked_through=Q(_need_to_know(user, "question__")),
            item_by_item=item_by_item,
        ),
    )


@_kept_per_user
def visible_hypothesis_ratings(user) -> QuerySet[HypothesisRating]:
    if not _signed_in(user):
        return HypothesisRating.objects.none()
    if _sees_all(user):
        return HypothesisRating.objects.all()
    return HypothesisRating.objects.filter(
        _question_visible(user, "hypothesis__question__"), _evidence_visible(user, "evidence__")
    )


@_kept_per_user
def visible_assessments(user, question: Question | None = None) -> QuerySet[Assessment]:
    """With `question`, only its versions — the same answer, but the cited items are checked
    among that question's citations instead of every citation there is (a question's page), and
    which versions is decided when this is called (one query), not when the result is read."""
    if not _signed_in(user):
        return Assessment.objects.none()
    if question is not None:
        if _sees_all(user):
            return question.assessments.all()
        # One question has a few versions: read which once, and let every query built on them
        # (its reviews, its steps, the page's lists) name them, instead of nesting this query in
        # each — building and compiling the nested form cost a question's page tens of
        # milliseconds of CPU.
        return question.assessments.filter(pk__in=visible_assessment_ids(user, question))
    if _sees_all(user):
        return Assessment.objects.all()
    return _visible_versions(
        user, Assessment.objects.all(), Assessment.cited_evidence.through.objects.all()
    )


def visible_assessment_ids(user, question: Question) -> list[int]:
    """Ids of `question`'s versions `user` may see: visible_assessments(user, question), read as
    ids in one query whose conditions are pieces of SQL on the version's own row — its
    question's, and each of its cited items checked item by item (a version cites a few) — not
    querysets nested in querysets, which cost the question's page milliseconds of CPU to build
    and compile (bench/RESULTS.md)."""
    if not _signed_in(user):
        return []
    mine = question.assessments.order_by()
    if not _sees_all(user):
        mine = mine.filter(_question_visible(user, "question__"), _cites_only_seen(user)).exclude(
            Q(tlp=Tlp.AMBER_STRICT) & ~Q(question__team__in=team_ids(user))
        )
    return list(mine.values_list("pk", flat=True))


def _cites_only_seen(user) -> _RowCondition:
    """The condition on an assessment row that `user` may see every item it cites."""
    through = Assessment.cited_evidence.through
    seen_sql, params = _evidence_seen_sql(user)
    seen = seen_sql.format(
        **_table_columns(
            Evidence, "vis_ev", tlp="tlp", pk="id", owner="owner_team", creator="created_by"
        )
    )
    evidence = _col(through, "evidence")
    return _RowCondition(
        f"NOT EXISTS (SELECT 1 FROM {through._meta.db_table} vis_cite "  # noqa: S608
        f"INNER JOIN {Evidence._meta.db_table} vis_ev ON vis_ev.id = vis_cite.{evidence} "
        f"WHERE vis_cite.{_col(through, 'assessment')} = {{pk}} "
        f"AND NOT COALESCE(({seen}), false))",
        params,
        pk="pk",
    )


def _visible_versions(
    user, versions: QuerySet[Assessment], cites: QuerySet
) -> QuerySet[Assessment]:
    """visible_assessments over every version (the API's lists): each version's cited items
    checked on their own rows (no cited item that `user` may not see), not against the set of
    every visible item, which read all 200,000 of them for any list of versions (3.5 s)."""
    item_seen = Evidence.objects.filter(_evidence_visible(user, ""), pk=OuterRef("evidence_id"))
    unseen = cites.filter(assessment=OuterRef("pk")).exclude(Exists(item_seen))
    return (
        versions.filter(_question_visible(user, "question__"))
        .exclude(Exists(unseen))
        .exclude(Q(tlp=Tlp.AMBER_STRICT) & ~Q(question__team__in=team_ids(user)))
    )


@_kept_per_user
def visible_reviews(
    user, question: Question | None = None, *, versions: QuerySet[Assessment] | None = None
) -> QuerySet[Review]:
    """`versions`: what visible_assessments(user, question) answered, when the caller has it."""
    if versions is None:
        versions = visible_assessments(user, question)
    return Review.objects.filter(assessment__in=versions)


@_kept_per_user
def visible_comments(user, *, item_by_item: bool = False) -> QuerySet[Comment]:
    """`item_by_item`: for a read that stops after a page (_question_visible_each)."""
    if item_by_item:
        return Comment.objects.filter(_question_visible_each(user, "question_id"))
    return Comment.objects.filter(_question_visible(user, "question__"))


@_kept_per_user
def visible_transitions(
    user,
    question: Question | None = None,
    *,
    versions: QuerySet[Assessment] | None = None,
    item_by_item: bool = False,
) -> QuerySet[Transition]:
    """`versions`: what visible_assessments(user, question) answered, when the caller has it.
    `item_by_item`: each step's version checked as the step is read (a scalar subquery, which
    PostgreSQL cannot turn into the set of every visible version), for a read that stops after
    a page: building that set cost about 30 ms a page at the benchmark's scale."""
    # A submit, approve or return belongs to its version's story: hidden with the version.
    if versions is None:
        versions = visible_assessments(user, question)
    if item_by_item:
        version = Subquery(_any_one(versions.filter(pk=OuterRef("assessment_id"))))
        in_sight = Q(IsNull(version, False))
    else:
        in_sight = Q(assessment__in=versions)
    mine = Transition.objects.all() if question is None else question.transitions.all()
    return mine.filter(_question_visible(user, "question__")).filter(
        Q(assessment__isnull=True) | in_sight
    )


@_kept_per_user
def visible_teams(user) -> QuerySet[Team]:
    if not _signed_in(user):
        return Team.objects.none()
    if _sees_all(user):
        return Team.objects.all()
    return Team.objects.filter(pk__in=team_ids(user))


def shareable_teams(user) -> QuerySet[Team]:
    """Teams `user` may share a TLP:AMBER question with: every team. A team's name is not
    secret inside one iqtrack; what the team sees is (visible_teams)."""
    return Team.objects.all() if _signed_in(user) else Team.objects.none()


def recipient_candidates(user) -> QuerySet:
    """People `user` may name as TLP:RED recipients: every active user — a distribution often
    crosses teams. Their names are not secret inside one iqtrack; what they see is."""
    User = get_user_model()
    return User.objects.filter(is_active=True) if _signed_in(user) else User.objects.none()


@_kept_per_user
def visible_users(user) -> QuerySet:
    User = get_user_model()
    if not _signed_in(user):
        return User.objects.none()
    if _sees_all(user):
        return User.objects.all()
    teams = visible_teams(user)
    return User.objects.filter(
        Q(pk=user.pk)
        | Q(pk__in=Team.members.through.objects.filter(team__in=teams).values("user"))
        | Q(pk__in=teams.values("lead"))
    )


def visible_tokens(user) -> QuerySet[ApiToken]:
    if not _signed_in(user):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user)


@_kept_per_user
def visible_notifications(user) -> QuerySet[Notification]:
    if not _signed_in(user):
        return Notification.objects.none()
    # A notice's text names its question: once the question is out of sight (a marking or a
    # team changed), so is the notice.
    return Notification.objects.filter(_question_visible(user, "question__"), recipient=user)
