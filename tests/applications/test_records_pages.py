"""The eligibility records pages over real HTTP (the app, PostgreSQL, Redis, the npm OpenID
Connect provider for signing in): partner organisations (tenant admin), training records by
hand and by CSV import (coordinator), board ratifications (tenant admin). Every form's bad
input answers 400 with the message at its field and writes nothing; a replayed form writes
nothing more; a page the scheme does not use explains itself and refuses its forms; members
and coordinators are kept out of what is not theirs; another tenant's ids are 404."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mentorhub.applications import records, services
from mentorhub.applications.models import (
    Application,
    BoardRatification,
    PartnerOrganisation,
    TrainingRecord,
)
from mentorhub.applications.states import State
from mentorhub.core.audit import AuditEntry
from mentorhub.core.problems import Problems
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.tenancy.models import Tenant
from tests.applications.conftest import World, add_member, answers, count, make_world, reload
from tests.identity.conftest import (  # noqa: F401  (fixtures)
    SLUG_A,
    client,
    csrf_from,
    email,
    providers,
    settings,
    sign_in,
    tenant_a,
)

A = f"/t/{SLUG_A}"
TODAY = datetime.now(UTC).date()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()


# --- helpers -------------------------------------------------------------------------------


async def token(http: httpx.AsyncClient, path: str) -> str:
    page = await http.get(A + path)
    assert page.status_code == 200, (path, page.status_code, page.text[:300])
    return csrf_from(page.text)


async def post(
    http: httpx.AsyncClient,
    path: str,
    data: dict[str, Any] | None = None,
    *,
    form_page: str | None = None,
    files: dict[str, Any] | None = None,
) -> httpx.Response:
    csrf = await token(http, form_page or path)
    return await http.post(A + path, data={"_csrf_token": csrf, **(data or {})}, files=files)


def error_at(response: httpx.Response, field: str) -> None:
    """A 400 with the error summary linking to `field` and the message at the field."""
    assert response.status_code == 400, (response.status_code, response.text[:500])
    assert 'class="error-summary"' in response.text
    # (a group of checkboxes is linked by its first box, "m-<member id>")
    link = 'href="#m-' if field == "members" else f'href="#{field}"'
    assert link in response.text, response.text[:2000]
    assert f'id="{field}-error"' in response.text or f'id="{field}"' in response.text


async def audits(db: Database, tenant: Tenant, action: str) -> list[AuditEntry]:
    async with db.tenant(tenant.id) as session:
        rows = await session.execute(select(AuditEntry).where(AuditEntry.action == action))
        return list(rows.scalars())


async def applied(db: Database, world: World, role: str = "mentee", **given: Any) -> Application:
    member = await add_member(db, world.tenant, f"Applicant {uuid.uuid4().hex[:4]}")
    draft = await services.save_draft(
        db,
        world.id,
        member.id,
        cohort_id=world.cohort.id,
        role=role,
        data=answers(world, role, **given),
    )
    return await services.submit(db, world.id, member.id, draft.id)


# --- partner organisations -----------------------------------------------------------------

PARTNERS = "/admin/partner-organisations"


async def test_partner_organisations_add_rename_deactivate(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    tenant_a: Tenant,  # noqa: F811
) -> None:
    world = await make_world(db, "advice-skills-academy", tenant=tenant_a)
    await sign_in(client, SLUG_A, "admin")
    added = await post(client, PARTNERS, {"name": "Citizens Advice Leeds"})
    assert added.status_code == 303
    listed = await client.get(A + PARTNERS)
    assert "Citizens Advice Leeds was added" in listed.text
    assert "Deactivate" in listed.text

    # Bad input: missing, too long, control characters, a name already listed (any case).
    for bad in ("", "   ", "x" * 201, "Bad\x00name", "citizens advice LEEDS"):
        response = await post(client, PARTNERS, {"name": bad})
        error_at(response, "name")
    assert await count(db, world, PartnerOrganisation) == 1

    # An application chose it; renaming keeps the application with it.
    app = await applied(db, world, organisation="Citizens Advice Leeds")
    assert app.state == State.AWAITING_APPROVAL  # (its line manager)
    async with db.tenant(tenant_a.id) as session:
        org = (await session.execute(select(PartnerOrganisation))).scalar_one()
    rename = f"{PARTNERS}/{org.id}/rename"
    assert (await client.get(A + rename)).status_code == 200
    error_at(await post(client, rename, {"name": ""}), "name")
    await post(client, PARTNERS, {"name": "Leeds Law Centre"})
    error_at(await post(client, rename, {"name": "LEEDS law centre"}), "name")
    renamed = await post(client, rename, {"name": "Citizens Advice Leeds & District"})
    assert renamed.status_code == 303
    after = await reload(db, world, app.id)
    assert after.answers["organisation"] == "Citizens Advice Leeds & District"
    assert after.state == State.AWAITING_APPROVAL and after.lock_version > app.lock_version
    assert (await audits(db, tenant_a, "partner_organisation_renamed"))[0].details["from"] == (
        "Citizens Advice Leeds"
    )

    # Deactivated: no longer offered; the application keeps its answer.
    bad_choice = await post(
        client, f"{PARTNERS}/{org.id}/active", {"active": "maybe"}, form_page=PARTNERS
    )
    assert bad_choice.status_code == 400 and "Choose to deactivate or reactivate" in bad_choice.text
    off = await post(client, f"{PARTNERS}/{org.id}/active", {"active": "no"}, form_page=PARTNERS)
    assert off.status_code == 303
    async with db.tenant(tenant_a.id) as session:
        names = {
            o.name: o.active for o in (await session.execute(select(PartnerOrganisation))).scalars()
        }
    assert names == {"Citizens Advice Leeds & District": False, "Leeds Law Centre": True}
    kept = await reload(db, world, app.id)
    assert kept.answers["organisation"] == "Citizens Advice Leeds & District"
    assert kept.state == State.INELIGIBLE and kept.ineligible_rule == "partner_organisation"
    assert "no longer offered" in (await client.get(A + PARTNERS)).text
    newcomer = await add_member(db, world.tenant, "Newcomer")
    with pytest.raises(Problems) as refused:  # the form no longer offers it
        await services.save_draft(
            db,
            world.id,
            newcomer.id,
            cohort_id=world.cohort.id,
            role="mentee",
            data=answers(world, organisation="Citizens Advice Leeds & District"),
        )
    assert refused.value.at("organisation")
    on = await post(client, f"{PARTNERS}/{org.id}/active", {"active": "yes"}, form_page=PARTNERS)
    assert on.status_code == 303
    assert [a.action for a in await audits(db, tenant_a, "partner_organisation_reactivated")]


# --- training records ------------------------------------------------------------------------

TRAINING = "/coordinator/training"


async def test_training_recorded_by_hand_moves_the_application_on(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    tenant_a: Tenant,  # noqa: F811
) -> None:
    world = await make_world(db, "arts-marketing", tenant=tenant_a)  # joint training
    app = await applied(db, world)
    assert app.state == State.AWAITING_APPROVAL and app.waiting_for == ["training"]
    async with db.tenant(tenant_a.id) as session:
        applicant = await session.get(Member, {"tenant_id": tenant_a.id, "id": app.member_id})
        assert applicant is not None
    await sign_in(client, SLUG_A, "coordinator")
    good = {"email": applicant.email, "kind": "joint", "completed_on": TODAY.isoformat()}

    # Bad input, each at its field, nothing written.
    cases = [
        ({**good, "email": ""}, "email"),
        ({**good, "email": "not-an-address"}, "email"),
        ({**good, "email": "nobody@example.org"}, "email"),
        ({**good, "email": "a" * 250 + "@example.org"}, "email"),
        ({**good, "kind": "wizard"}, "kind"),
        ({**good, "kind": "mentor"}, "kind"),  # not a training this scheme gives
        ({**good, "completed_on": ""}, "completed_on"),
        ({**good, "completed_on": "31/01/2026"}, "completed_on"),
        ({**good, "completed_on": "2026-02-30"}, "completed_on"),
        ({**good, "completed_on": TOMORROW}, "completed_on"),
    ]
    for data, field in cases:
        error_at(await post(client, TRAINING, data), field)
    assert await count(db, world, TrainingRecord) == 0
    assert (await reload(db, world, app.id)).state == State.AWAITING_APPROVAL

    recorded = await post(client, TRAINING, good)
    assert recorded.status_code == 303
    assert (await reload(db, world, app.id)).state == State.ELIGIBLE
    page = await client.get(A + TRAINING)
    assert "Recorded:" in page.text and applicant.email in page.text
    # Replayed: recorded once.
    assert (await post(client, TRAINING, good)).status_code == 303
    assert await count(db, world, TrainingRecord) == 1
    # Search.
    found = await client.get(A + TRAINING, params={"q": applicant.display_name[:8]})
    assert applicant.email in found.text
    missing = await client.get(A + TRAINING, params={"q": "zzz-nobody"})
    assert "No training record matches" in missing.text
    assert (await client.get(A + TRAINING, params={"q": "bad\x00"})).status_code == 400

    # Removing: a confirmation, then audited; the application waits again.
    async with db.tenant(tenant_a.id) as session:
        record = (await session.execute(select(TrainingRecord))).scalar_one()
    remove = f"{TRAINING}/{record.id}/remove"
    confirm = await client.get(A + remove)
    assert confirm.status_code == 200 and "Remove this training record?" in confirm.text
    assert (await post(client, remove, form_page=remove)).status_code == 303
    assert await count(db, world, TrainingRecord) == 0
    assert (await reload(db, world, app.id)).state == State.AWAITING_APPROVAL
    removed = await audits(db, tenant_a, "training_removed")
    assert removed[0].details["member"] == applicant.email
    # Replayed removal: the 404 page, nothing more.
    replay = await client.post(A + remove, data={"_csrf_token": await token(client, TRAINING)})
    assert replay.status_code == 404
    assert len(await audits(db, tenant_a, "training_removed")) == 1


def csv_file(text: str) -> dict[str, Any]:
    return {"training": ("training.csv", text.encode(), "text/csv")}


async def test_training_import_is_all_or_nothing(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    tenant_a: Tenant,  # noqa: F811
) -> None:
    world = await make_world(db, "arts-marketing", tenant=tenant_a)
    app = await applied(db, world)
    async with db.tenant(tenant_a.id) as session:
        applicant = await session.get(Member, {"tenant_id": tenant_a.id, "id": app.member_id})
        assert applicant is not None
    mentor = email(SLUG_A, "mentor")
    imports = f"{TRAINING}/import"
    await sign_in(client, SLUG_A, "coordinator")
    assert (await client.get(A + imports)).status_code == 200

    good = (
        f"email,role,completed_on\n{applicant.email},joint,2026-09-30\n{mentor},joint,2026-09-30\n"
    )
    bad_lines = (
        good
        + "nobody-at-all,joint,2026-09-30\n"  # line 4: not an address
        + f"{mentor},=SUM(A1:A9),2026-09-30\n"  # line 5: a formula as role
        + f"{mentor},joint,30/09/2026\n"  # line 6
        + f"{mentor},joint,2026-09-30\n"  # line 7: again
        + f"{mentor},joint\n"  # line 8: two values
        + f"{mentor},joint,{TOMORROW}\n"  # line 9: future
    )
    response = await post(client, imports, files=csv_file(bad_lines))
    assert response.status_code == 400
    assert "Nothing was recorded: 6 problems" in response.text
    for line in (4, 5, 6, 7, 8, 9):
        assert f"line {line}:" in response.text
    assert "“&#39;=SUM(A1:A9)”" in response.text
    assert 'href="#training"' in response.text
    assert await count(db, world, TrainingRecord) == 0

    # An address that is nobody's: nothing written either.
    unknown = good + "stranger@example.org,joint,2026-09-30\n"
    response = await post(client, imports, files=csv_file(unknown))
    assert response.status_code == 400 and "line 4: no member has" in response.text
    assert await count(db, world, TrainingRecord) == 0

    # The header, an empty file, not UTF-8, too large, no file.
    for content, words in (
        ("mail,role,date\nx@example.org,joint,2026-01-01\n", "the header must be"),
        ("email,role,completed_on\n", "no lines after its header"),
    ):
        response = await post(client, imports, files=csv_file(content))
        assert response.status_code == 400 and words in response.text
    latin = await post(
        client,
        imports,
        files={"training": ("t.csv", "email,role\né".encode("latin-1"), "text/csv")},
    )
    assert latin.status_code == 400 and "not UTF-8" in latin.text
    huge = await post(
        client,
        imports,
        files={"training": ("t.csv", b"x" * (records.TRAINING_MAX_BYTES + 1), "text/csv")},
    )
    error_at(huge, "training")
    error_at(await post(client, imports, {"training": ""}), "training")
    assert await count(db, world, TrainingRecord) == 0

    done = await post(client, imports, files=csv_file(good))
    assert done.status_code == 200 and "2 records added" in done.text
    assert await count(db, world, TrainingRecord) == 2
    assert (await reload(db, world, app.id)).state == State.ELIGIBLE
    again = await post(client, imports, files=csv_file(good))
    assert "0 records added, 2 already recorded" in again.text
    assert await count(db, world, TrainingRecord) == 2
    assert len(await audits(db, tenant_a, "training_imported")) == 2


def test_training_csv_echo_is_formula_safe() -> None:
    report = records.parse_training_csv(
        b"email,role,completed_on\n=1+1,@SUM(A1),-2\n", ("joint",), date(2026, 12, 1)
    )
    (problem,) = report.problems
    assert problem.path == "line 2"
    for shown in ("“'=1+1”", "“'@SUM(A1)”", "“'-2”"):
        assert shown in problem.message, problem.message
    assert records.safe_echo("+" + "9" * 100).endswith("…”")


# --- board ratifications -----------------------------------------------------------------------

RATIFY = "/admin/ratifications"


async def test_board_ratification_of_several_members_with_one_date(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    tenant_a: Tenant,  # noqa: F811
) -> None:
    world = await make_world(db, "alberta-museums", tenant=tenant_a)
    first = await applied(db, world)
    second = await applied(db, world, role="mentor")
    for app in (first, second):
        assert app.state == State.AWAITING_APPROVAL and app.waiting_for == ["board_ratification"]
    await sign_in(client, SLUG_A, "admin")
    page = await client.get(A + RATIFY)
    assert page.status_code == 200
    assert f'value="{first.member_id}"' in page.text and f'value="{second.member_id}"' in page.text
    ticked = {"members": [str(first.member_id), str(second.member_id)]}

    # Bad input, each at its field; nothing written.
    for data, field in (
        ({"ratified_on": "2026-10-01"}, "members"),
        ({**ticked, "ratified_on": ""}, "ratified_on"),
        ({**ticked, "ratified_on": "1 October"}, "ratified_on"),
        ({**ticked, "ratified_on": TOMORROW}, "ratified_on"),
        ({**ticked, "ratified_on": "2026-10-01", "note": "n" * 2001}, "note"),
        ({**ticked, "ratified_on": "2026-10-01", "emails": "stranger@example.org"}, "emails"),
    ):
        error_at(await post(client, RATIFY, data), field)
    # A forged member id, or another tenant's: 404, nothing written.
    other = await make_world(db, "alberta-museums")
    outsider = await add_member(db, other.tenant, "Outsider")
    for forged in (str(uuid.uuid4()), str(outsider.id), "not-an-id"):
        response = await post(client, RATIFY, {"members": [forged], "ratified_on": "2026-10-01"})
        assert response.status_code in (400, 404), response.status_code
    assert await count(db, world, BoardRatification) == 0

    mentor = email(SLUG_A, "mentor")
    done = await post(
        client,
        RATIFY,
        {**ticked, "ratified_on": "2026-10-01", "emails": mentor, "note": "Minute 12"},
    )
    assert done.status_code == 303
    assert "the Board ratified 3 members on 2026-10-01" in (await client.get(A + RATIFY)).text
    assert (await reload(db, world, first.id)).state == State.ELIGIBLE
    assert (await reload(db, world, second.id)).state == State.ELIGIBLE
    assert len(await audits(db, tenant_a, "ratification_recorded")) == 3
    # Replayed: nothing more.
    replay = await post(client, RATIFY, {**ticked, "ratified_on": "2026-10-01"})
    assert replay.status_code == 303
    assert await count(db, world, BoardRatification) == 3
    assert "Nothing new to record" in (await client.get(A + RATIFY)).text

    # Revoking one: a confirmation, audited, the application waits again.
    async with db.tenant(tenant_a.id) as session:
        row = (
            await session.execute(
                select(BoardRatification).where(BoardRatification.member_id == first.member_id)
            )
        ).scalar_one()
    revoke = f"{RATIFY}/{row.id}/revoke"
    assert "Revoke this ratification?" in (await client.get(A + revoke)).text
    assert (await post(client, revoke, form_page=revoke)).status_code == 303
    assert (await reload(db, world, first.id)).state == State.AWAITING_APPROVAL
    assert (await reload(db, world, second.id)).state == State.ELIGIBLE
    revoked = await audits(db, tenant_a, "ratification_revoked")
    assert revoked[0].details["ratified_on"] == "2026-10-01"
    replay = await client.post(A + revoke, data={"_csrf_token": await token(client, RATIFY)})
    assert replay.status_code == 404
    assert await count(db, world, BoardRatification) == 2


# --- pages a scheme does not use ---------------------------------------------------------------


async def test_pages_the_scheme_does_not_use_explain_and_write_nothing(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    tenant_a: Tenant,  # noqa: F811
) -> None:
    world = await make_world(db, "ahep", tenant=tenant_a)  # members only, nothing else
    await sign_in(client, SLUG_A, "admin")
    for path, words in (
        (PARTNERS, "not limited to staff and volunteers of partner organisations"),
        (TRAINING, "does not ask for a training"),
        (f"{TRAINING}/import", "does not ask for a training"),
        (RATIFY, "does not need the Board to ratify"),
    ):
        page = await client.get(A + path)
        assert page.status_code == 200 and words in page.text, path
    home = await client.get(A + "/coordinator/records")
    assert "no records to keep here" in home.text
    csrf = await token(client, "/coordinator/records")
    mentor = email(SLUG_A, "mentor")
    for path, data in (
        (PARTNERS, {"name": "Somewhere"}),
        (TRAINING, {"email": mentor, "kind": "mentor", "completed_on": "2026-01-01"}),
        (RATIFY, {"emails": mentor, "ratified_on": "2026-01-01"}),
    ):
        response = await client.post(A + path, data={"_csrf_token": csrf, **data})
        assert response.status_code == 400, path
    for model in (PartnerOrganisation, TrainingRecord, BoardRatification):
        assert await count(db, world, model) == 0


# --- access ------------------------------------------------------------------------------------


async def test_who_may_open_what_and_other_tenants_ids(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    tenant_a: Tenant,  # noqa: F811
) -> None:
    await make_world(db, "advice-skills-academy", tenant=tenant_a)
    # Another association's records, made through the actions.
    other = await make_world(db, "alberta-museums")
    outsider = await add_member(db, other.tenant, "Outsider")
    org = await records.add_partner_organisation(db, other.id, other.admin.id, "Elsewhere")
    trained = await services.record_training(
        db, other.id, other.coordinator.id, outsider.id, kind="mentor", completed_on=TODAY
    )
    ratified = await records.record_ratifications(
        db, other.id, other.admin.id, member_ids=[outsider.id], ratified_on=TODAY
    )
    assert ratified == 1
    async with db.tenant(other.id) as session:
        ratification = (await session.execute(select(BoardRatification))).scalar_one()

    admin_pages = [PARTNERS, f"{PARTNERS}/{uuid.uuid4()}/rename", RATIFY]
    coordinator_pages = ["/coordinator/records", TRAINING, f"{TRAINING}/import"]

    await sign_in(client, SLUG_A, "mentor")  # a member: none of them
    for path in admin_pages + coordinator_pages:
        assert (await client.get(A + path)).status_code == 403, path
    csrf = await token(client, "/me")
    for path in (PARTNERS, TRAINING, RATIFY, f"{TRAINING}/import"):
        response = await client.post(A + path, data={"_csrf_token": csrf, "name": "x"})
        assert response.status_code == 403, path

    await sign_in(client, SLUG_A, "coordinator")  # training, not the admin's lists
    for path in coordinator_pages:
        assert (await client.get(A + path)).status_code == 200, path
    for path in admin_pages:
        assert (await client.get(A + path)).status_code == 403, path
    home = await client.get(A + "/coordinator/records")
    assert f'href="{A}/coordinator/training"' in home.text
    assert f'href="{A}{PARTNERS}"' not in home.text
    assert "Eligibility records" in home.text  # the navigation's link

    await sign_in(client, SLUG_A, "admin")  # another tenant's ids: 404, nothing changed
    csrf = await token(client, PARTNERS)
    probes = [
        ("GET", f"{PARTNERS}/{org.id}/rename", {}),
        ("POST", f"{PARTNERS}/{org.id}/rename", {"name": "Mine now"}),
        ("POST", f"{PARTNERS}/{org.id}/active", {"active": "no"}),
        ("GET", f"{TRAINING}/{trained.id}/remove", {}),
        ("POST", f"{TRAINING}/{trained.id}/remove", {}),
        ("GET", f"{RATIFY}/{ratification.id}/revoke", {}),
        ("POST", f"{RATIFY}/{ratification.id}/revoke", {}),
        ("GET", f"{TRAINING}/not-a-uuid/remove", {}),
    ]
    for method, path, data in probes:
        response = await client.request(method, A + path, data={"_csrf_token": csrf, **data})
        assert response.status_code == 404, (method, path, response.status_code)
    async with db.tenant(other.id) as session:
        still = (await session.execute(select(PartnerOrganisation))).scalar_one()
        assert (still.name, still.active) == ("Elsewhere", True)
    assert await count(db, other, TrainingRecord) == 1
    assert await count(db, other, BoardRatification) == 1
