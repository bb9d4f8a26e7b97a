"""The tenant admin's coordinators page and the scope it sets, through the real app over
HTTP: a coordinator's cohorts set and cleared (audited as `coordinator.scope_changed`), a
cohort that is not the tenant's or a member who is not a coordinator refused with nothing
changed; the scope enforced — a coordinator limited to one cohort is refused another
cohort's pair as a stranger is (404), and the checkpoint list, an item, "Mark as reviewed",
the tasks and "done" show and accept only their cohort's (each with its control: cleared,
every cohort again); a coordinator added by e-mail through `identity.services.change_roles`
(a member gets the role and a message; an unknown address is listed); and every route probed
by the anonymous, a member, a coordinator, a platform admin and another tenant's admin."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
from sqlalchemy import func, select

from mentorhub.admin.models import CoordinatorScope
from mentorhub.applications.models import Cohort
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import NewPair, create_pairs
from mentorhub.settings import Settings
from tests.admin.helpers import as_, audits, probes, url, words
from tests.applications.conftest import World, add_member, make_world
from tests.checkpoints.coordinator_world import (
    CoordWorld,
    add_item,
    add_task,
    coord_world,
    reload_item,
    reload_task,
)
from tests.identity.conftest import settings  # noqa: F401  (fixture)


async def second_cohort(db: Database, cw: CoordWorld) -> tuple[Cohort, Pair]:
    """A 2028 cohort of the same tenant with one live pair of its own."""
    world = cw.pw.world
    mentor = await add_member(db, world.tenant, "Nina Newcohort", roles=("mentor",))
    mentee = await add_member(db, world.tenant, "Ned Newcohort", roles=("mentee",))
    async with db.tenant(world.id) as session:
        cohort = Cohort(
            tenant_id=world.id,
            id=uuid.uuid4(),
            name="2028 intake",
            starts_on=date(2028, 1, 1),
            ends_on=date(2028, 12, 31),
            scheme_version=cw.version,
        )
        session.add(cohort)
        await session.flush()
        [pair] = await create_pairs(
            session,
            [NewPair(cohort.id, mentor.id, mentee.id, "coordinator")],
            actor_id=world.coordinator.id,
        )
    return cohort, pair


async def scope_rows(db: Database, world: World, member_id: uuid.UUID) -> set[uuid.UUID]:
    async with db.tenant(world.id) as session:
        return set(
            (
                await session.execute(
                    select(CoordinatorScope.cohort_id).where(
                        CoordinatorScope.member_id == member_id
                    )
                )
            ).scalars()
        )


async def set_scope(
    client: httpx.AsyncClient, world: World, csrf: str, member_id: uuid.UUID, *cohorts: str
) -> httpx.Response:
    return await client.post(
        url(world, f"/admin/coordinators/{member_id}"),
        data={"cohorts": list(cohorts), "_csrf_token": csrf},
    )


# --- setting the scope ------------------------------------------------------------------------


async def test_a_coordinators_cohorts_are_set_and_cleared(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw = await coord_world(db)
    world = cw.pw.world
    later, _ = await second_cohort(db, cw)
    coordinator = world.coordinator
    csrf = await as_(client, settings, world, world.admin)
    page = await client.get(url(world, "/admin/coordinators"))
    assert page.status_code == 200
    text = words(page)
    assert f"{coordinator.display_name} {coordinator.email} All cohorts" in text
    assert "Cohorts Coral Coordinator runs" in text  # the fieldset's legend
    assert "<caption" in page.text and 'scope="col"' in page.text

    limited = await set_scope(client, world, csrf, coordinator.id, str(later.id))
    assert limited.status_code == 303
    assert await scope_rows(db, world, coordinator.id) == {later.id}
    shown = words(await client.get(url(world, "/admin/coordinators")))
    assert "Saved: Coral Coordinator now runs 2028 intake." in shown
    assert f"{coordinator.display_name} {coordinator.email} 2028 intake" in shown

    both = await set_scope(client, world, csrf, coordinator.id, str(later.id), str(world.cohort.id))
    assert both.status_code == 303
    assert await scope_rows(db, world, coordinator.id) == {later.id, world.cohort.id}
    assert "2027 intake, 2028 intake" in words(await client.get(url(world, "/admin/coordinators")))

    same = await set_scope(client, world, csrf, coordinator.id, str(later.id), str(world.cohort.id))
    assert same.status_code == 303
    assert "Nothing changed" in words(await client.get(url(world, "/admin/coordinators")))

    cleared = await set_scope(client, world, csrf, coordinator.id)  # none chosen: all
    assert cleared.status_code == 303
    assert await scope_rows(db, world, coordinator.id) == set()
    shown = words(await client.get(url(world, "/admin/coordinators")))
    assert "Saved: Coral Coordinator now runs all cohorts." in shown

    entries = await audits(db, world, "coordinator.scope_changed")
    assert len(entries) == 3  # "nothing changed" wrote none
    assert {e.actor for e in entries} == {world.admin.email}
    assert {e.subject for e in entries} == {coordinator.email}
    assert {"from": [], "to": [str(later.id)], "cohorts": ["2028 intake"]} in [
        e.details for e in entries
    ]
    assert {
        "from": sorted([str(later.id), str(world.cohort.id)]),
        "to": [],
        "cohorts": "all",
    } in [e.details for e in entries]


async def test_a_scope_that_cannot_be_set_changes_nothing(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw = await coord_world(db)
    world = cw.pw.world
    other = await make_world(db, "museums-association")
    coordinator = world.coordinator
    csrf = await as_(client, settings, world, world.admin)
    assert (
        await set_scope(client, world, csrf, coordinator.id, str(world.cohort.id))
    ).status_code == 303
    for bad in (str(other.cohort.id), "not-a-uuid", str(uuid.uuid4())):
        refused = await set_scope(client, world, csrf, coordinator.id, bad)
        assert refused.status_code == 400, bad
        assert "Choose cohorts from the list" in words(refused)
        key = f"cohorts-{coordinator.id}"
        assert f'<a href="#c-{coordinator.id}-' in refused.text  # to its first checkbox
        assert f'id="{key}-error"' in refused.text
    # a member who is not a coordinator, another tenant's coordinator, nobody: not found
    for member_id in (cw.pw.mentor.id, other.coordinator.id, uuid.uuid4()):
        missing = await set_scope(client, world, csrf, member_id, str(world.cohort.id))
        assert missing.status_code == 404
    assert await scope_rows(db, world, coordinator.id) == {world.cohort.id}
    assert await scope_rows(db, world, cw.pw.mentor.id) == set()
    assert len(await audits(db, world, "coordinator.scope_changed")) == 1


# --- the scope enforced -----------------------------------------------------------------------


async def test_a_scoped_coordinator_reads_only_their_cohorts_pairs_and_checkpoints(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw = await coord_world(db)
    pw = cw.pw
    world = pw.world
    later, later_pair = await second_cohort(db, cw)
    today = date.today()
    ours = await add_item(db, cw, pair_id=later_pair.id, due_on=today - timedelta(days=2))
    theirs = await add_item(db, cw, member=pw.mentee, due_on=today - timedelta(days=3))
    our_task = await add_task(db, cw, pair_id=later_pair.id, title="Call the 2028 pair")
    their_task = await add_task(db, cw, pair_id=pw.pair.id, title="Call the 2027 pair")

    admin_csrf = await as_(client, settings, world, world.admin)
    scoped = await set_scope(client, world, admin_csrf, world.coordinator.id, str(later.id))
    assert scoped.status_code == 303

    csrf = await as_(client, settings, world, world.coordinator)
    # Pairs: another cohort's pair is "not found", like a stranger's; their own is there.
    assert (await client.get(url(world, f"/pairs/{later_pair.id}"))).status_code == 200
    for pair in (pw.pair, pw.other_pair):
        assert (await client.get(url(world, f"/pairs/{pair.id}"))).status_code == 404
    # ...nor end it or remove it (the actions ask the same `pairs.access.space_for`).
    for action, data in (
        ("end", {"kind": "completed"}),
        ("remove", {"reason": "An ethics breach"}),
    ):
        answer = await client.post(
            url(world, f"/pairs/{pw.pair.id}/{action}"),
            data={**data, "lock_version": "0", "_csrf_token": csrf},
        )
        assert answer.status_code == 404, action
    async with db.tenant(world.id) as session:
        state = (await session.execute(select(Pair.state).where(Pair.id == pw.pair.id))).scalar()
    assert state == pw.pair.state  # still live
    # Checkpoints: the list, its counts and cohort choices, one item, Mark as reviewed.
    listed = await client.get(url(world, "/coordinator/checkpoints"))
    assert listed.status_code == 200
    assert f"/coordinator/checkpoints/{ours.id}" in listed.text
    assert f"/coordinator/checkpoints/{theirs.id}" not in listed.text
    assert "2027 intake" not in words(listed) and "2028 intake" in words(listed)
    assert (await client.get(url(world, f"/coordinator/checkpoints/{ours.id}"))).status_code == 200
    assert (
        await client.get(url(world, f"/coordinator/checkpoints/{theirs.id}"))
    ).status_code == 404
    filtered = await client.get(
        url(world, "/coordinator/checkpoints"), params={"cohort": str(world.cohort.id)}
    )
    assert filtered.status_code == 400  # not a cohort they can choose
    assert f"/coordinator/checkpoints/{theirs.id}" not in filtered.text
    reviewed = await client.post(
        url(world, f"/coordinator/checkpoints/{theirs.id}"),
        data={"lock_version": "0", "note": "", "_csrf_token": csrf},
    )
    assert reviewed.status_code == 404
    # Tasks: only their cohort's are listed, and only those can be marked done.
    tasks = await client.get(url(world, "/coordinator/tasks"))
    assert "Call the 2028 pair" in tasks.text and "Call the 2027 pair" not in tasks.text
    done = await client.post(
        url(world, f"/coordinator/tasks/{their_task.id}"),
        data={"lock_version": "0", "note": "", "_csrf_token": csrf},
    )
    assert done.status_code == 404
    assert (await reload_item(db, cw, theirs.id)).state == "submitted"  # nothing changed
    assert (await reload_task(db, cw, their_task.id)).state == "open"
    ok = await client.post(
        url(world, f"/coordinator/tasks/{our_task.id}"),
        data={"lock_version": "0", "note": "Called.", "_csrf_token": csrf},
    )
    assert ok.status_code == 303
    assert (await reload_task(db, cw, our_task.id)).state == "done"  # the control

    # The control: with the scope cleared, every cohort's pair and item is theirs again.
    admin_csrf = await as_(client, settings, world, world.admin)
    assert (await set_scope(client, world, admin_csrf, world.coordinator.id)).status_code == 303
    await as_(client, settings, world, world.coordinator)
    assert (await client.get(url(world, f"/pairs/{pw.pair.id}"))).status_code == 200
    assert (
        await client.get(url(world, f"/coordinator/checkpoints/{theirs.id}"))
    ).status_code == 200
    listed = await client.get(url(world, "/coordinator/checkpoints"))
    assert f"/coordinator/checkpoints/{theirs.id}" in listed.text
    assert "Call the 2027 pair" in (await client.get(url(world, "/coordinator/tasks"))).text


# --- adding a coordinator ---------------------------------------------------------------------


async def roles_of(db: Database, world: World, email: str) -> list[str] | None:
    async with db.tenant(world.id) as session:
        found = (
            await session.execute(select(Member.roles).where(Member.email == email))
        ).scalar_one_or_none()
    return sorted(found) if found is not None else None


async def role_mails(db: Database, world: World, email: str) -> int:
    async with db.tenant(world.id) as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.kind == "role_change", Message.to_address == email)
                )
            ).scalar_one()
        )


async def test_a_coordinator_is_added_by_email(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, "alberta-museums")
    mentor = await add_member(db, world.tenant, "Mira Mentor", roles=("mentor",))
    csrf = await as_(client, settings, world, world.admin)

    added = await client.post(
        url(world, "/admin/coordinators/add"),
        data={"email": mentor.email.upper(), "name": "", "_csrf_token": csrf},
    )
    assert added.status_code == 303
    assert await roles_of(db, world, mentor.email) == ["coordinator", "mentor"]
    assert await role_mails(db, world, mentor.email) == 1
    page = words(await client.get(url(world, "/admin/coordinators")))
    assert "Mira Mentor is now a coordinator and has been sent an e-mail." in page
    assert f"Mira Mentor {mentor.email} All cohorts" in page

    new = "pat.programme@example.org"
    listed = await client.post(
        url(world, "/admin/coordinators/add"),
        data={"email": new, "name": "Pat Programme", "_csrf_token": csrf},
    )
    assert listed.status_code == 303
    assert await roles_of(db, world, new) == ["coordinator"]
    assert await role_mails(db, world, new) == 1
    assert "is listed as a coordinator" in words(
        await client.get(url(world, "/admin/coordinators"))
    )

    again = await client.post(
        url(world, "/admin/coordinators/add"), data={"email": new, "_csrf_token": csrf}
    )
    assert again.status_code == 303
    assert "is a coordinator already: nothing changed" in words(
        await client.get(url(world, "/admin/coordinators"))
    )
    entries = await audits(db, world, "role_change")
    assert len(entries) == 2 and {e.subject for e in entries} == {mentor.email, new}

    for bad in ("", "not an address", "a@b"):
        refused = await client.post(
            url(world, "/admin/coordinators/add"), data={"email": bad, "_csrf_token": csrf}
        )
        assert refused.status_code == 400, bad
        assert '<a href="#email">' in refused.text
    assert len(await audits(db, world, "role_change")) == 2


# --- access -----------------------------------------------------------------------------------


async def test_only_the_tenant_admin_reaches_the_coordinators_page(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, "alberta-museums")
    coordinator = world.coordinator
    async for who, token in probes(db, client, settings, world):
        page = await client.get(url(world, "/admin/coordinators"))
        expected = 403 if who in ("member", "coordinator") else 303
        assert page.status_code == expected, who
        for path, data in (
            (f"/admin/coordinators/{coordinator.id}", {"cohorts": str(world.cohort.id)}),
            ("/admin/coordinators/add", {"email": "intruder@example.org"}),
        ):
            answer = await client.post(url(world, path), data={**data, "_csrf_token": token})
            assert answer.status_code in (303, 403), (who, path, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["location"] == url(world, "/login"), (who, path)
    assert await scope_rows(db, world, coordinator.id) == set()
    assert await roles_of(db, world, "intruder@example.org") is None
    assert await audits(db, world, "coordinator.scope_changed") == []
