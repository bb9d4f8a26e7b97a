"""Helpers for applications: a tenant running one of the five reference schemes (stored as
its version, as tenant loading does), members, a cohort with open windows.

Where a reference tenant's file has no form for a role yet, the scheme gets a small one
built here from its own rules: one question per exclusion it lists, the organisation for a
partner-organisation scheme, the line manager's address where a line manager signs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select

from mentorhub.applications.models import Application, Cohort, RecruitmentWindow
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.schemes.forms import Form, Forms, Question, form_for
from mentorhub.schemes.loader import load_tenant
from mentorhub.schemes.rules import Scheme
from mentorhub.schemes.services import store_version
from mentorhub.tenancy.models import Tenant
from tests.foundation.helpers import make_tenant


@dataclass
class World:
    tenant: Tenant
    scheme: Scheme
    cohort: Cohort
    coordinator: Member
    admin: Member

    @property
    def id(self) -> uuid.UUID:
        return self.tenant.id


def test_form(scheme: Scheme, role: str) -> Form:
    questions = [
        Question(id="motivation", kind="long_text", label="Why do you apply?", required=True),
        Question(
            id="areas",
            kind="multiple_choice",
            label="Areas",
            options=("Digital", "Leadership", "Audience development"),
            max_choices=2,
        ),
    ]
    for exclusion in scheme.eligibility.exclusions:
        questions.append(
            Question(
                id=f"is_{exclusion}",
                kind="yes_no",
                label=f"Are you one of the {exclusion}?",
                required=True,
                excludes=exclusion,
            )
        )
    if scheme.eligibility.open_to == "partner_organisations":
        questions.append(
            Question(id="organisation", kind="organisation", label="Organisation", required=True)
        )
    if role in scheme.application.line_manager_signature:
        questions.append(
            Question(
                id="line_manager",
                kind="email",
                label="Your line manager's e-mail address",
                required=True,
                approver=True,
            )
        )
    return Form(intro="Test form.", questions=tuple(questions))


def with_forms(scheme: Scheme) -> Scheme:
    forms = Forms(
        mentor=form_for(scheme, "mentor") or test_form(scheme, "mentor"),
        mentee=form_for(scheme, "mentee") or test_form(scheme, "mentee"),
    )
    return msgspec.structs.replace(scheme, forms=forms)


def answers(world: World, role: str = "mentee", **given: Any) -> dict[str, list[str]]:
    """A complete posted form for `role`, each question answered plausibly (no exclusion
    declared), with `given` overriding (a list for several values, None to leave out)."""
    form = form_for(world.scheme, role)
    assert form is not None
    posted: dict[str, list[str]] = {}
    for q in form.questions:
        if q.id in given:
            value = given[q.id]
            if value is not None:
                posted[q.id] = value if isinstance(value, list) else [str(value)]
            continue
        if not q.required:
            continue
        posted[q.id] = {
            "text": ["Some words"],
            "long_text": ["Because I want to learn."],
            "single_choice": list(q.options[:1]),
            "multiple_choice": list(q.options[: max(1, q.min_choices or 1)]),
            "number": [str(int(q.min or 1))],
            "yes_no": ["no"],
            "consent": ["yes"],
            "location": ["SW1A 1AA" if q.location == "GB" else "Edmonton"],
            "email": ["line.manager@example.org"],
            "organisation": ["Citizens Advice Leeds"],
        }[q.kind]
    return posted


async def add_member(
    db: Database,
    tenant: Tenant,
    name: str = "Ada",
    *,
    roles: tuple[str, ...] = ("mentee",),
    status: str | None = "active",
    ratified_on: date | None = None,
) -> Member:
    async with db.tenant(tenant.id) as session:
        member = Member(
            tenant_id=tenant.id,
            id=uuid.uuid4(),
            email=f"{''.join(c for c in name.lower() if c.isalnum())}.{uuid.uuid4().hex[:6]}"
            "@example.org",
            display_name=name,
            roles=list(roles),
            membership_status=status,
            membership_source="roster" if status else None,
            ratified_on=ratified_on,
        )
        session.add(member)
    return member


async def make_world(
    db: Database, slug: str, *, windows_open: bool = True, tenant: Tenant | None = None
) -> World:
    """A tenant with `slug`'s scheme stored (with forms), a coordinator, a tenant admin and
    a cohort whose windows for both roles are open now (or opened and closed already, with
    windows_open=False)."""
    tenant = tenant or await make_tenant(db)
    scheme = with_forms(load_tenant(slug).scheme)
    now = datetime.now(UTC)
    async with db.tenant(tenant.id) as session:
        await store_version(session, scheme, f"{slug}.toml")
        cohort = Cohort(
            tenant_id=tenant.id,
            id=uuid.uuid4(),
            name="2027 intake",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 12, 31),
            scheme_version=scheme.version,
        )
        session.add(cohort)
        await session.flush()
        for role in ("mentor", "mentee"):
            session.add(
                RecruitmentWindow(
                    tenant_id=tenant.id,
                    id=uuid.uuid4(),
                    cohort_id=cohort.id,
                    role=role,
                    opens_at=now - timedelta(days=10),
                    closes_at=now + timedelta(days=30) if windows_open else now - timedelta(days=1),
                )
            )
    coordinator = await add_member(db, tenant, "Coral Coordinator", roles=("coordinator",))
    admin = await add_member(db, tenant, "Adam Admin", roles=("tenant_admin",))
    return World(tenant, scheme, cohort, coordinator, admin)


async def count(db: Database, world: World, model: Any, *where: Any) -> int:
    async with db.tenant(world.id) as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return int((await session.execute(query)).scalar_one())


async def kinds(db: Database, world: World, member: Member) -> list[str]:
    """The kinds of message the member got, oldest first."""
    async with db.tenant(world.id) as session:
        rows = await session.execute(
            select(Message.kind).where(Message.member_id == member.id).order_by(Message.id)
        )
        return list(rows.scalars())


async def reload(db: Database, world: World, application_id: uuid.UUID) -> Application:
    async with db.tenant(world.id) as session:
        found = await session.get(Application, {"tenant_id": world.id, "id": application_id})
        assert found is not None
        return found


async def audit_actions(db: Database, world: World) -> list[str]:
    async with db.tenant(world.id) as session:
        rows = await session.execute(
            select(AuditEntry.action).order_by(AuditEntry.created_at, AuditEntry.id)
        )
        return list(rows.scalars())


# The SMTP sink and a committing Database, from the messages tests.
from tests.messages.conftest import inbox, live_db, sink  # noqa: E402, F401
