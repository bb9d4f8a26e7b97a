"""The tenant admin's settings actions: each one function, one tenant transaction, its audit
row.

* `save_settings`: the association's name, scheme name, colours and contact addresses. The
  contact addresses live on the tenant's `tenant_profiles` row (created on first save; its
  `lock_version` refuses a form opened before someone else's save); name and colours live on
  the platform's `tenants` row, which the runtime role may not write: they go through
  `mentorhub_tenant_set_branding(id, name, branding)` (migration 0018), in the same
  transaction, which refuses any tenant but the transaction's own and marks the branding as
  the console's (a tenant file loaded later keeps it). The branding JSON keeps every key the
  tenant file gave and carries what the layout shows on every page — colours, the contact
  addresses, `logo_sha` — so pages read no more than the routing's snapshot.
* `upload_logo` / `remove_logo`: the logo's bytes, type and SHA-256 on the profile row, and
  `logo_sha` in the branding.
* `set_coordinator_scope`: the cohorts a coordinator runs (none: every cohort).

Every action audits what changed (`settings.changed`: the fields' names, and the new name
and colours — never the old or new contact addresses, which may be a person's), and the
caller calls `directory.invalidate()` after the commit (these functions do it too, once
their transaction is over), so this process's routing serves the new branding at once and
the others within a second.

Adding a coordinator by e-mail is `identity.services.change_roles(..., add=["coordinator"])`
(it lists an unknown address for linking at its first sign-in, audits and mails the role
change): the views call it as it is.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.admin import settings_queries as q
from mentorhub.admin.logo import colour_problem, sniff_logo
from mentorhub.admin.models import CoordinatorScope, TenantProfile
from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.tenancy import directory

__all__ = [
    "ScopeChange",
    "SettingsChange",
    "SettingsStale",
    "check_settings",
    "remove_logo",
    "save_settings",
    "set_coordinator_scope",
    "upload_logo",
]

#: The contact fields (profile columns, and the same keys in the branding JSON).
CONTACT_FIELDS = ("contact_email", "contact_phone", "privacy_email", "help_url")
#: Changes whose new value the audit row may name (nothing personal).
_NAMED_IN_AUDIT = ("name", "scheme_name", "primary_color", "accent_color")

_SET_BRANDING = text("SELECT mentorhub_tenant_set_branding(:id, :name, :branding)").bindparams(
    bindparam("branding", type_=JSONB)
)

_PHONE_CHARS = frozenset("0123456789+()-. ")


class SettingsStale(Exception):
    """The form was opened before someone else saved the settings; nothing was changed."""


@dataclass(frozen=True)
class SettingsChange(q.SettingsFields):
    """The settings form, read (web/forms) but not yet checked against the rules here."""


def _phone_problem(value: str) -> str | None:
    if not value:
        return None
    digits = sum(c.isdigit() for c in value)
    if any(c not in _PHONE_CHARS for c in value) or not 5 <= digits <= 17:
        return (
            "Contact phone must be a phone number: digits, spaces and + ( ) - . only, "
            "like +44 20 7946 0000"
        )
    return None


def _url_problem(value: str) -> str | None:
    if not value:
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() != "https" or not host or "." not in host:
        return "Help page must be an https:// address, like https://example.org/help"
    if parts.username is not None or parts.password is not None or " " in value:
        return "Help page must be a plain https:// address, with no name or password in it"
    return None


def check_settings(change: SettingsChange) -> list[Problem]:
    """Every problem with the change (each at its field); nothing is read or written."""
    found: list[Problem] = []
    for key in ("primary_color", "accent_color"):
        if (message := colour_problem(key, getattr(change, key))) is not None:
            found.append(Problem(path=key, message=message))
    if (message := _phone_problem(change.contact_phone)) is not None:
        found.append(Problem(path="contact_phone", message=message))
    if (message := _url_problem(change.help_url)) is not None:
        found.append(Problem(path="help_url", message=message))
    return found


async def _profile(session: AsyncSession, tenant_id: uuid.UUID) -> TenantProfile:
    """The tenant's profile row, created if absent, locked FOR UPDATE: every settings action
    takes this lock first, so two of them (a save and a logo upload) run one after the other
    and each reads the branding the other wrote. A new row starts with the tenant file's
    contact e-mail (the branding's), so a first logo upload does not drop it."""
    if await q.profile_for_update(session) is None:
        tenant = await q.tenant_row(session)
        await session.execute(
            pg_insert(TenantProfile.__table__)  # type: ignore[arg-type]
            .values(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                contact_email=str((tenant.branding or {}).get("contact_email") or "")[:320],
            )
            .on_conflict_do_nothing()
        )
    profile = await q.profile_for_update(session)
    assert profile is not None, "the row was just inserted or already there"
    return profile


async def _set_branding(
    session: AsyncSession, tenant_id: uuid.UUID, name: str, branding: dict[str, Any]
) -> None:
    await session.execute(_SET_BRANDING, {"id": tenant_id, "name": name, "branding": branding})


def _branding(current: dict[str, Any], profile: TenantProfile) -> dict[str, Any]:
    """The branding JSON with the profile's contact addresses and logo."""
    branding = dict(current)
    for key in CONTACT_FIELDS:
        branding[key] = getattr(profile, key) or ""
    if profile.logo_sha:
        branding["logo_sha"] = profile.logo_sha
    else:
        branding.pop("logo_sha", None)
    return branding


async def save_settings(
    db: Database,
    tenant_id: uuid.UUID,
    change: SettingsChange,
    *,
    actor: str,
    actor_id: uuid.UUID | None,
) -> list[str]:
    """Store the settings; the names of the fields that changed (empty: nothing did, and
    nothing was written). Problems (400) or SettingsStale (409): nothing changed."""
    problems = check_settings(change)
    if problems:
        raise Problems(problems)
    async with db.tenant(tenant_id) as session:
        profile = await _profile(session, tenant_id)
        if profile.lock_version != change.lock_version:
            raise SettingsStale()
        tenant = await q.tenant_row(session)
        branding: dict[str, Any] = dict(tenant.branding or {})
        before = {
            "name": tenant.name,
            "scheme_name": str(branding.get("scheme_name") or tenant.name),
            "primary_color": str(branding.get("primary_color") or q.DEFAULT_PRIMARY).lower(),
            "accent_color": str(branding.get("accent_color") or q.DEFAULT_ACCENT).lower(),
            **{key: getattr(profile, key) for key in CONTACT_FIELDS},
        }
        after = {
            "name": change.name,
            "scheme_name": change.scheme_name,
            "primary_color": change.primary_color.lower(),
            "accent_color": change.accent_color.lower(),
            **{key: getattr(change, key) for key in CONTACT_FIELDS},
        }
        changed = [key for key in after if after[key] != before[key]]
        if not changed:
            return []
        for key in CONTACT_FIELDS:
            setattr(profile, key, after[key])
        profile.lock_version += 1
        profile.updated_at = datetime.now(UTC)
        profile.updated_by = actor_id
        branding.update(
            scheme_name=after["scheme_name"],
            primary_color=after["primary_color"],
            accent_color=after["accent_color"],
        )
        await session.flush()
        await _set_branding(session, tenant_id, after["name"], _branding(branding, profile))
        audit.record(
            session,
            "settings.changed",
            actor=actor,
            details={
                "changed": changed,
                **{key: after[key] for key in _NAMED_IN_AUDIT if key in changed},
            },
        )
    directory.invalidate()
    return changed


async def _set_logo(
    db: Database,
    tenant_id: uuid.UUID,
    logo: tuple[bytes, str] | None,
    *,
    actor: str,
    actor_id: uuid.UUID | None,
    details: dict[str, Any],
) -> bool:
    async with db.tenant(tenant_id) as session:
        profile = await _profile(session, tenant_id)
        sha = hashlib.sha256(logo[0]).hexdigest() if logo is not None else None
        if sha == profile.logo_sha:
            return False
        profile.logo = logo[0] if logo is not None else None
        profile.logo_type = logo[1] if logo is not None else None
        profile.logo_sha = sha
        profile.updated_at = datetime.now(UTC)
        profile.updated_by = actor_id
        await session.flush()
        tenant = await q.tenant_row(session)
        branding = _branding(dict(tenant.branding or {}), profile)
        await _set_branding(session, tenant_id, tenant.name, branding)
        audit.record(session, "settings.changed", actor=actor, details=details)
    directory.invalidate()
    return True


async def upload_logo(
    db: Database,
    tenant_id: uuid.UUID,
    data: bytes,
    *,
    actor: str,
    actor_id: uuid.UUID | None,
) -> bool:
    """Store `data` as the logo (LogoProblem, from `admin.logo`, when it is not one: nothing
    changed). False when it is the logo already."""
    found = sniff_logo(data)
    return await _set_logo(
        db,
        tenant_id,
        (data, found.content_type),
        actor=actor,
        actor_id=actor_id,
        details={
            "changed": ["logo"],
            "logo": {
                "type": found.content_type,
                "bytes": len(data),
                "width": found.width,
                "height": found.height,
            },
        },
    )


async def remove_logo(
    db: Database, tenant_id: uuid.UUID, *, actor: str, actor_id: uuid.UUID | None
) -> bool:
    """No logo (the layout shows the brand mark again). False when there was none."""
    return await _set_logo(
        db,
        tenant_id,
        None,
        actor=actor,
        actor_id=actor_id,
        details={"changed": ["logo"], "logo": None},
    )


# --- coordinators ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeChange:
    member_id: uuid.UUID
    name: str
    before: tuple[str, ...]  # cohort names; empty: every cohort
    after: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.before != self.after


async def set_coordinator_scope(
    db: Database,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID,
    cohort_ids: Iterable[uuid.UUID],
    *,
    actor: str,
    actor_id: uuid.UUID | None,
) -> ScopeChange:
    """The cohorts `member_id` runs become `cohort_ids` (none: every cohort). NotFound for
    a member who is not a coordinator of this tenant; Problems (path "cohorts") for a
    cohort that is not the tenant's. Audited as `coordinator.scope_changed` when it
    changes anything."""
    wanted = set(cohort_ids)
    async with db.tenant(tenant_id) as session:
        try:  # the member's row locked: two changes to one scope run one after the other
            member = await q.is_coordinator(session, member_id, lock=True)
        except LookupError:
            raise NotFound("coordinator") from None
        names = {c.id: c.name for c in await q.cohort_options(session)}
        if wanted - names.keys():
            raise Problems([Problem(path="cohorts", message="Choose cohorts from the list")])
        current = set(
            (
                await session.execute(
                    select(CoordinatorScope.cohort_id).where(
                        CoordinatorScope.member_id == member_id
                    )
                )
            ).scalars()
        )

        def named(ids: set[uuid.UUID]) -> tuple[str, ...]:
            return tuple(sorted(names.get(i, str(i)) for i in ids))

        change = ScopeChange(member.id, member.display_name, named(current), named(wanted))
        if current == wanted:
            return change
        if current - wanted:
            await session.execute(
                delete(CoordinatorScope).where(
                    CoordinatorScope.member_id == member_id,
                    CoordinatorScope.cohort_id.in_(current - wanted),
                )
            )
        if wanted - current:
            await session.execute(
                insert(CoordinatorScope),
                [
                    {
                        "tenant_id": tenant_id,
                        "id": uuid.uuid4(),
                        "member_id": member_id,
                        "cohort_id": cohort_id,
                        "created_by": actor_id,
                    }
                    for cohort_id in sorted(wanted - current)
                ],
            )
        audit.record(
            session,
            "coordinator.scope_changed",
            actor=actor,
            subject=member.email,
            details={
                "from": [str(i) for i in sorted(current)],
                "to": [str(i) for i in sorted(wanted)],
                "cohorts": list(change.after) or "all",
            },
        )
    return change
