"""Facts that change after an application was submitted: a roster import (through the real
roster upload, which calls `reevaluate_members` in its transaction), a training record, a
board ratification."""

from __future__ import annotations

from datetime import date

import pytest

from mentorhub.applications import services
from mentorhub.applications.models import Application
from mentorhub.applications.states import State
from mentorhub.core.audit import AuditEntry
from mentorhub.core.problems import Problems
from mentorhub.db import Database, NotFound
from mentorhub.identity import services as identity
from mentorhub.identity.models import Member
from mentorhub.identity.roster import parse_roster
from tests.applications.conftest import World, add_member, answers, count, kinds, make_world, reload


async def applied(db: Database, world: World, member: Member, role: str = "mentee") -> Application:
    draft = await services.save_draft(
        db, world.id, member.id, cohort_id=world.cohort.id, role=role, data=answers(world, role)
    )
    return await services.submit(db, world.id, member.id, draft.id)


def roster(*rows: tuple[str, str, str]) -> bytes:
    lines = ["member_number,email,status,ratified_on"]
    lines += [
        f"N-{i},{email},{status},{ratified}" for i, (email, status, ratified) in enumerate(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


async def test_a_roster_import_reevaluates_and_flags_accepted_members(db: Database) -> None:
    world = await make_world(db, "ahep")  # members only, kept for the whole relationship
    keeps = await add_member(db, world.tenant, "Keeps")
    lapses = await add_member(db, world.tenant, "Lapses")
    accepted_then_lapses = await add_member(db, world.tenant, "Accepted")
    renews = await add_member(db, world.tenant, "Renews", status="lapsed")
    a_keeps = await applied(db, world, keeps)
    a_lapses = await applied(db, world, lapses)
    a_accepted = await applied(db, world, accepted_then_lapses)
    await services.accept(db, world.id, world.coordinator.id, a_accepted.id)
    a_renews = await applied(db, world, renews)
    assert a_renews.state == State.INELIGIBLE

    report = parse_roster(
        roster(
            (keeps.email, "active", "2026-01-01"),
            (lapses.email, "lapsed", ""),
            (accepted_then_lapses.email, "lapsed", ""),
            (renews.email, "active", "2026-01-01"),
        )
    )
    assert report.problems == []
    await identity.upload_roster(db, world.id, report.rows, actor=world.admin.email)

    assert (await reload(db, world, a_keeps.id)).state == State.ELIGIBLE
    after = await reload(db, world, a_lapses.id)
    assert (after.state, after.ineligible_rule) == (State.INELIGIBLE, "membership")
    renewed = await reload(db, world, a_renews.id)
    assert renewed.state == State.ELIGIBLE and renewed.ineligible_rule is None
    flagged = await reload(db, world, a_accepted.id)
    assert flagged.state == State.ACCEPTED and flagged.flagged_at is not None
    assert flagged.flag_reason is not None and "membership" in flagged.flag_reason
    assert await kinds(db, world, lapses) == ["application_received", "application_ineligible"]
    assert await kinds(db, world, renews) == ["application_ineligible", "application_eligible"]
    assert await count(db, world, AuditEntry, AuditEntry.action == "applications_reevaluated") == 1

    # The same roster again changes nothing and mails nobody.
    await identity.upload_roster(db, world.id, report.rows, actor=world.admin.email)
    assert (await reload(db, world, a_accepted.id)).flagged_at == flagged.flagged_at
    assert await kinds(db, world, renews) == ["application_ineligible", "application_eligible"]


async def test_training_record_moves_a_waiting_application(db: Database) -> None:
    world = await make_world(db, "arts-marketing")  # joint training before matching
    ada = await add_member(db, world.tenant, "Ada")
    app = await applied(db, world, ada)
    assert app.state == State.AWAITING_APPROVAL and app.waiting_for == ["training"]
    with pytest.raises(NotFound):  # a mentee cannot record training
        await services.record_training(
            db, world.id, ada.id, ada.id, kind="joint", completed_on=date(2026, 11, 2)
        )
    with pytest.raises(Problems):
        await services.record_training(
            db, world.id, world.coordinator.id, ada.id, kind="yoga", completed_on=date(2026, 11, 2)
        )
    await services.record_training(
        db, world.id, world.coordinator.id, ada.id, kind="joint", completed_on=date(2026, 11, 2)
    )
    after = await reload(db, world, app.id)
    assert after.state == State.ELIGIBLE and after.waiting_for == []
    assert await kinds(db, world, ada) == ["application_received", "application_eligible"]


async def test_board_ratification_by_the_tenant_admin(db: Database) -> None:
    world = await make_world(db, "alberta-museums")
    bo = await add_member(db, world.tenant, "Bo")  # active, not ratified
    app = await applied(db, world, bo)
    assert app.waiting_for == ["board_ratification"]
    with pytest.raises(NotFound):  # the coordinator does not record ratifications
        await services.record_ratification(
            db, world.id, world.coordinator.id, bo.id, ratified_on=date(2026, 10, 1)
        )
    await services.record_ratification(
        db, world.id, world.admin.id, bo.id, ratified_on=date(2026, 10, 1), note="Board minutes 12"
    )
    assert (await reload(db, world, app.id)).state == State.ELIGIBLE
