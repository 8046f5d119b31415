"""What a TLP marking asks of the item it is on: the one home of the marking rules on writes.

`questions.visibility` enforces who may see a marked item; this module keeps the markings
coherent when they are set, so that enforcement never strands anyone or anything:

- TLP:RED names its recipients (nobody else sees the item), and they include whoever sets it —
  or they would lose sight of what they marked — and, on a question, its analyst and reviewer;
- TLP:AMBER+STRICT stays within an owning team, so an item marked so must have one;
- named recipients mean something only under TLP:RED, sharing with other teams only under
  TLP:AMBER: set anywhere else they would promise a restriction or an opening that is not there.

The API serializers, the page forms and the workflow's assignment check all call these.
"""

from __future__ import annotations

from collections.abc import Iterable

from evidence.choices import STRICT_NEEDS_TEAM, Tlp

Errors = dict[str, list[str]]


def _names(users: Iterable) -> str:
    return ", ".join(sorted(u.get_username() for u in users))


def marking_errors(
    *,
    tlp: str,
    actor,
    recipients: Iterable = (),
    shared_with: Iterable = (),
    owning_team=None,
    must_see: Iterable = (),
    owning_team_field: str = "owner_team",
) -> Errors:
    """Why this marking cannot stand, by model field name (empty when it can).

    `must_see` are the people who have to keep sight of the item (a question's analyst and
    reviewer); `owning_team_field` names the field that holds the owning team.
    """
    errors: Errors = {}
    recipients = set(recipients)
    shared_with = set(shared_with)
    if tlp == Tlp.RED:
        if not recipients:
            errors["recipients"] = ["TLP:RED needs its named recipients: nobody else may see it."]
        else:
            missing = [u for u in must_see if u is not None and u not in recipients]
            if actor is not None and not actor.is_superuser and actor not in recipients:
                missing.insert(0, actor)
            if missing:
                errors["recipients"] = [
                    f"Name {_names(missing)} too: under TLP:RED they would lose sight of it."
                ]
    elif recipients:
        errors["recipients"] = [
            "Named recipients apply only to TLP:RED: mark it TLP:RED or name nobody."
        ]
    if shared_with and tlp != Tlp.AMBER:
        errors["shared_with"] = [
            f"Only TLP:AMBER is shared with other teams: {Tlp(tlp).label} {_sharing_rule(tlp)}."
        ]
    if tlp == Tlp.AMBER_STRICT and owning_team is None:
        errors[owning_team_field] = [STRICT_NEEDS_TEAM]
    return errors


def _sharing_rule(tlp: str) -> str:
    if tlp in (Tlp.CLEAR, Tlp.GREEN):
        return "is open to every signed-in user already"
    if tlp == Tlp.AMBER_STRICT:
        return "stays within the owning team"
    return "goes to its named recipients only"


def question_marking_errors(
    question, *, actor, recipients: Iterable, shared_with: Iterable
) -> Errors:
    """A question's marking: its team owns it; its analyst and reviewer must keep sight of it."""
    return marking_errors(
        tlp=question.tlp,
        actor=actor,
        recipients=recipients,
        shared_with=shared_with,
        owning_team=question.team if question.team_id else None,
        owning_team_field="team",
        must_see=(question.assignee, question.reviewer),
    )


def evidence_marking_errors(evidence, *, actor, recipients: Iterable) -> Errors:
    return marking_errors(
        tlp=evidence.tlp,
        actor=actor,
        recipients=recipients,
        owning_team=evidence.owner_team if evidence.owner_team_id else None,
    )


def assignee_marking_errors(question, *, analyst, reviewer) -> Errors:
    """Under TLP:RED, the people assigned must be among the question's recipients."""
    if question.tlp != Tlp.RED:
        return {}
    named = set(question.recipients.all())
    errors: Errors = {}
    for field, person in (("analyst", analyst), ("reviewer", reviewer)):
        if person is not None and person not in named:
            errors[field] = [
                f"{person.get_username()} is not a recipient of this TLP:RED question: "
                "name them first."
            ]
    return errors


def kept_when_marking_changes(tlp: str, *, recipients: list, shared_with: list) -> tuple:
    """What a change of marking keeps when the writer did not restate recipients or sharing:
    only what the new marking has a use for (so TLP:RED → TLP:AMBER drops the recipients)."""
    return (
        recipients if tlp == Tlp.RED else [],
        shared_with if tlp == Tlp.AMBER else [],
    )


def add_marking_errors(form, errors: Errors) -> None:
    """Put the rules' messages on a page form, by the field they are about."""
    for field, messages in errors.items():
        form.add_error(field if field in form.fields else None, messages)
