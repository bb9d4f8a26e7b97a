"""Advice Skills Academy: the line manager signs the application through the signed link
mailed to them, read from the real SMTP sink; the decision moves the application in the
decision's own transaction, and the applicant is mailed the outcome."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from mentorhub.applications import queries, services
from mentorhub.applications.states import State
from mentorhub.core.problems import Problems
from mentorhub.db import Database
from mentorhub.identity import services as identity
from mentorhub.identity.approvals import LinkProblem
from mentorhub.identity.models import ApprovalRequest
from mentorhub.settings import get_settings
from tests.applications.conftest import add_member, answers, count, make_world, reload
from tests.messages.sink import Sink
from tests.messages.test_messages import deliver_all

BOSS = "line.boss@example.org"


async def _applied(live_db: Database, inbox: Sink):  # type: ignore[no-untyped-def]
    world = await make_world(live_db, "advice-skills-academy")
    await services.set_partner_organisations(
        live_db, world.id, world.admin.id, ["Citizens Advice Leeds", "Shelter"]
    )
    ada = await add_member(live_db, world.tenant, "Ada Adviser", status=None)
    draft = await services.save_draft(
        live_db,
        world.id,
        ada.id,
        cohort_id=world.cohort.id,
        role="mentee",
        data=answers(world, line_manager_email=BOSS),
    )
    app = await services.submit(live_db, world.id, ada.id, draft.id)
    assert app.state == State.AWAITING_APPROVAL and app.waiting_for == ["line_manager"]
    await deliver_all(live_db, world.tenant)
    [approval] = inbox.to(BOSS)
    [received] = inbox.to(ada.email)
    assert received.parsed()["X-MentorHub-Kind"] == "application_received"
    plain = approval.parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Ada Adviser" in plain and "Citizens Advice Leeds" in plain
    link = next(w for w in plain.split() if "/approvals/" in w)
    token = urlsplit(link).path.rsplit("/", 1)[1]
    return world, ada, app, token


async def test_the_line_manager_approves_from_the_mailed_link(
    live_db: Database, inbox: Sink
) -> None:
    world, ada, app, token = await _applied(live_db, inbox)
    secret = get_settings().secret_key or ""
    await identity.decide_approval(
        live_db, world.id, secret, token, decision="approve", comment="Happy to support."
    )
    assert (await reload(live_db, world, app.id)).state == State.ELIGIBLE
    await deliver_all(live_db, world.tenant)
    kinds = [c.parsed()["X-MentorHub-Kind"] for c in inbox.to(ada.email)]
    assert kinds == ["application_received", "application_eligible"]
    with pytest.raises(LinkProblem, match="used"):  # the link works once
        await identity.decide_approval(
            live_db, world.id, secret, token, decision="decline", comment=""
        )
    assert (await reload(live_db, world, app.id)).state == State.ELIGIBLE


async def test_a_declined_signature_makes_the_application_ineligible(
    live_db: Database, inbox: Sink
) -> None:
    world, ada, app, token = await _applied(live_db, inbox)
    await identity.decide_approval(
        live_db, world.id, get_settings().secret_key or "", token, decision="decline", comment=""
    )
    after = await reload(live_db, world, app.id)
    assert (after.state, after.ineligible_rule) == (State.INELIGIBLE, "line_manager_declined")
    await deliver_all(live_db, world.tenant)
    last = inbox.to(ada.email)[-1]
    assert last.parsed()["X-MentorHub-Kind"] == "application_ineligible"
    plain = last.parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "line manager did not approve" in " ".join(plain.split())


async def test_the_partner_organisation_list_decides(live_db: Database, inbox: Sink) -> None:
    world = await make_world(live_db, "advice-skills-academy")
    admin = world.admin.id
    await services.set_partner_organisations(live_db, world.id, admin, ["Shelter"])
    ada = await add_member(live_db, world.tenant, "Ada", status=None)
    posted = answers(world, organisation="Citizens Advice Leeds", line_manager_email=BOSS)
    draft = await services.save_draft(
        live_db, world.id, ada.id, cohort_id=world.cohort.id, role="mentee", data={}
    )
    with pytest.raises(Problems) as refused:  # not on the list: at the field, nothing written
        await services.submit(live_db, world.id, ada.id, draft.id, data=posted)
    assert [p.path for p in refused.value.problems] == ["organisation"]
    assert (await reload(live_db, world, draft.id)).state == State.DRAFT
    app = await services.submit(
        live_db, world.id, ada.id, draft.id, data={**posted, "organisation": ["Shelter"]}
    )
    assert app.state == State.AWAITING_APPROVAL
    # Shelter leaves the list: the waiting application cannot go ahead, and says why.
    await services.set_partner_organisations(live_db, world.id, admin, ["Citizens Advice Leeds"])
    after = await reload(live_db, world, app.id)
    assert (after.state, after.ineligible_rule) == (State.INELIGIBLE, "partner_organisation")
    # Back on the list (any case): waiting for the same line manager's signature again.
    await services.set_partner_organisations(
        live_db, world.id, admin, ["Citizens Advice Leeds", "shelter"]
    )
    after = await reload(live_db, world, app.id)
    assert after.state == State.AWAITING_APPROVAL
    assert after.approval_request_id == app.approval_request_id
    assert await queries.partner_organisations(live_db, world.id) == [
        ("Citizens Advice Leeds", True),
        ("shelter", True),
    ]
    await deliver_all(live_db, world.tenant)
    assert len(inbox.to(BOSS)) == 1  # asked once
    kinds = [c.parsed()["X-MentorHub-Kind"] for c in inbox.to(ada.email)]
    assert kinds == ["application_received", "application_ineligible"]


async def test_two_submits_at_once_submit_once(live_db: Database, inbox: Sink) -> None:
    """A double click: two submits of the same draft in two transactions at the same time.
    The second waits for the first's row lock, then finds it submitted: one application
    submitted, one approval request, one mail each."""
    world = await make_world(live_db, "advice-skills-academy")
    await services.set_partner_organisations(
        live_db, world.id, world.admin.id, ["Citizens Advice Leeds"]
    )
    ada = await add_member(live_db, world.tenant, "Ada", status=None)
    posted = answers(world, line_manager_email=BOSS)
    draft = await services.save_draft(
        live_db, world.id, ada.id, cohort_id=world.cohort.id, role="mentee", data=posted
    )
    first, second = await asyncio.gather(
        services.submit(live_db, world.id, ada.id, draft.id, data=posted, lock_version=1),
        services.submit(live_db, world.id, ada.id, draft.id, data=posted, lock_version=1),
    )
    assert first.lock_version == second.lock_version == 2
    assert first.approval_request_id == second.approval_request_id is not None
    assert await count(live_db, world, ApprovalRequest) == 1
    await deliver_all(live_db, world.tenant)
    assert len(inbox.to(BOSS)) == 1 and len(inbox.to(ada.email)) == 1
