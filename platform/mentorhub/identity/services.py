"""Identity actions: each is one function, one tenant transaction and its audit row; what
must follow the commit (ending a member's sessions in Redis) happens after it, in the action,
whenever the caller hands it the session store.

- `change_roles`: the one way a member's roles change (admin page, operator command line);
  `sign_in` applies an ID-token roles claim through the same step, `apply_roles`, which also
  tells the member (kind role_change, key `role_change:<audit row id>`) in the transaction.
- `reject_roster`: a roster that failed its checks is audited ("roster_rejected": how many
  problems and the first line numbers, no member data) and its line-numbered problems are
  mailed to the uploader, in one transaction.
- `configure_sso`: the one place an association's single sign-on settings are checked and
  stored: pending until a test sign-in succeeds (`complete_sso_test`), or active at once when
  the operator says so.
- `provision_default_provider`: the embedded default's demo provider, created only where a
  tenant has none and followed to a new origin, never overwriting an admin's settings.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import IDENTIFIER, LINE, SECRET, URL, BadText, TextKind, clean_text
from mentorhub.db import Database
from mentorhub.db.access import get_in_tenant
from mentorhub.db.session import current_tenant
from mentorhub.identity.approvals import decide
from mentorhub.identity.labels import ROLE_LABELS, role_label
from mentorhub.identity.membership import sign_in_member
from mentorhub.identity.models import (
    ApprovalRequest,
    IdentityProvider,
    Member,
    ProviderStatus,
    Role,
)
from mentorhub.identity.oidc import (
    OidcClient,
    OidcError,
    Pending,
    ProviderConfig,
    check_issuer_url,
)
from mentorhub.identity.providers import (
    DEFAULT_SCOPES,
    StoredProvider,
    promote,
    rows_by_status,
    save_provider,
    stored,
    to_config,
)
from mentorhub.identity.roster import RosterReport, RosterRow, apply_roster
from mentorhub.identity.secrets import encrypt_secret
from mentorhub.identity.sessions import SessionStore
from mentorhub.messages.delivery import base_url
from mentorhub.messages.services import MessageError, check_address, send
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant

log = logging.getLogger(__name__)


async def _tenant(session: AsyncSession) -> Tenant:
    """The transaction's tenant (mail needs its name, branding and address)."""
    return (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()

# --- roles -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleChange:
    member_id: uuid.UUID
    email: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    created: bool = False
    kept_own_admin: bool = False  # the actor tried to drop their own admin role
    name: str = ""  # the member's display name, for the confirmation

    @property
    def changed(self) -> bool:
        return self.created or self.before != self.after


def known_roles(values: Iterable[object]) -> list[str]:
    """The MentorHub roles among `values`, sorted; anything else is dropped."""
    return sorted({v for v in values if isinstance(v, str) and v in set(Role)})


async def apply_roles(
    session: AsyncSession, member: Member, roles: list[str], *, actor: str, tell: bool = True
) -> bool:
    """In the caller's transaction: set the roles, audit the change, if it is one, and (with
    `tell`) tell the member, by mail and in their notifications."""
    before = sorted(member.roles or [])
    if roles == before:
        return False
    entry = audit.record(
        session,
        "role_change",
        actor=actor,
        subject=member.email,
        details={"from": before, "to": roles},
    )
    member.roles = roles
    if tell:
        await _tell_roles(session, member, before, roles, f"role_change:{entry}")
    return True


async def _tell_roles(
    session: AsyncSession, member: Member, before: list[str], after: list[str], key: str
) -> None:
    """The role_change message, roles in words. A member whose address cannot take mail
    (e.g. `name@host`, listed by hand) is not told, and that is logged: the change stands."""
    try:
        check_address(member.email)
    except MessageError:
        log.warning("role change not mailed: the member's address cannot take mail (%s)", key)
        return
    await session.flush()  # a member listed in this transaction exists before its message
    tenant = await _tenant(session)

    order = list(ROLE_LABELS)

    def words(roles: Iterable[str]) -> list[str]:  # the product's order, administrator first
        ranked = sorted(roles, key=lambda r: order.index(r) if r in order else len(order))
        return [role_label(r) for r in ranked]

    await send(
        session,
        tenant,
        "role_change",
        {
            "roles": words(after),
            "added": words(r for r in after if r not in before),
            "removed": words(r for r in before if r not in after),
            "link": f"{base_url(get_settings(), tenant)}/login",
        },
        key,
        to_member=member,
    )


async def change_roles(
    db: Database,
    tenant_id: uuid.UUID,
    *,
    actor: str,
    member_id: uuid.UUID | str | None = None,
    email: str | None = None,
    name: str | None = None,
    roles: Iterable[str] | None = None,
    add: Iterable[str] = (),
    sessions: SessionStore | None = None,
) -> RoleChange:
    """Set (`roles`) or extend (`add`) one member's roles, found by `member_id` (NotFound if
    absent) or by `email` (listed now if absent, linked at their first verified sign-in).
    An actor never removes their own admin role (a tenant keeps an administrator). After the
    commit the member's sessions end (they carry roles), so the change holds at once."""
    if (member_id is None) == (email is None):
        raise ValueError("name the member by id or by e-mail")
    created = kept = False
    async with db.tenant(tenant_id) as session:
        if member_id is not None:
            member = await get_in_tenant(session, Member, member_id, what="member")
        else:
            address = (email or "").lower()
            found = (
                await session.execute(select(Member).where(func.lower(Member.email) == address))
            ).scalar_one_or_none()
            if found is None:
                found = Member(
                    tenant_id=tenant_id,
                    id=uuid.uuid4(),
                    email=address,
                    display_name=(name or address)[:200],
                    roles=[],
                )
                session.add(found)
                created = True
            member = found
        before = sorted(member.roles or [])
        wanted = set(before if roles is None else roles) | set(add)
        if (
            member.email.lower() == actor.lower()
            and Role.TENANT_ADMIN in before
            and Role.TENANT_ADMIN not in wanted
        ):
            wanted.add(Role.TENANT_ADMIN)
            kept = True
        after = known_roles(wanted)
        await apply_roles(session, member, after, actor=actor)
        change = RoleChange(
            member.id, member.email, tuple(before), tuple(after), created, kept,
            member.display_name,
        )
    if change.before != change.after and sessions is not None:
        await sessions.revoke_member(str(tenant_id), str(change.member_id))
    return change


# --- sign-in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    member_id: uuid.UUID
    email: str
    display_name: str
    roles: tuple[str, ...]


def roles_claimed(config: ProviderConfig, claims: dict[str, Any]) -> list[str] | None:
    """The roles an ID token grants through the mapped claim, or None (no such mapping)."""
    name = config.claim_mapping.get("roles")
    value = claims.get(name) if name else None
    return known_roles(value) if isinstance(value, list) else None


async def sign_in(
    db: Database,
    tenant_id: uuid.UUID,
    config: ProviderConfig,
    claims: dict[str, Any],
    *,
    sessions: SessionStore | None = None,
) -> SignedIn:
    """A verified ID token signs a member in: found, linked or created, membership and roles
    from the mapped claims, audited; OidcError when the claims cannot name a member. A
    roles claim that changes the roles ends the member's other sessions after the commit and
    tells the member; a member who had no roles (a first sign-in) is not told: the roles are
    what they sign in with."""
    _check_claims(config, claims)
    async with db.tenant(tenant_id) as session:
        member = await sign_in_member(session, config, claims)
        claimed = roles_claimed(config, claims)
        changed = claimed is not None and await apply_roles(
            session, member, claimed, actor=config.issuer, tell=bool(member.roles)
        )
        audit.record(
            session,
            "login",
            actor=member.email,
            details={"issuer": config.issuer, "roles": sorted(member.roles)},
        )
        await session.flush()
        done = SignedIn(member.id, member.email, member.display_name, tuple(sorted(member.roles)))
    if changed and sessions is not None:
        await sessions.revoke_member(str(tenant_id), str(done.member_id))
    return done


def _check_claims(config: ProviderConfig, claims: dict[str, Any]) -> None:
    """The provider's words about a member go through the same edge check as a form's
    (no control characters; the subject and e-mail address no invisible ones, within their
    columns); OidcError otherwise, before anything is stored."""
    mapping = config.claim_mapping
    checks: tuple[tuple[str, str, TextKind, int | None], ...] = (
        ("subject", "sub", IDENTIFIER, 255),
        ("e-mail address", mapping.get("email", "email"), IDENTIFIER, 320),
        ("name", mapping.get("name", "name"), LINE, None),  # cut to 200 where stored
    )
    for what, key, kind, longest in checks:
        value = claims.get(key)
        if not isinstance(value, str):
            continue
        try:
            clean_text(value, label=what, kind=kind, max_length=longest)
        except BadText:
            raise OidcError(f"the identity provider sent a {what} that cannot be used") from None


async def record_login_failure(db: Database, tenant_id: uuid.UUID, reason: str) -> None:
    async with db.tenant(tenant_id) as session:
        audit.record(session, "login_failed", actor=None, details={"reason": reason})


async def record_logout(db: Database, tenant_id: uuid.UUID, actor: str) -> None:
    async with db.tenant(tenant_id) as session:
        audit.record(session, "logout", actor=actor)


# --- single sign-on ----------------------------------------------------------------------

#: Each single sign-on field: its label (in messages), its kind of text (`core/text.py`) and
#: its longest length (the columns' sizes).
SSO_FIELDS: dict[str, tuple[str, TextKind, int]] = {
    "issuer": ("Issuer URL", URL, 500),
    "client_id": ("Client ID", IDENTIFIER, 255),
    "client_secret": ("Client secret", SECRET, 1000),
    "scopes": ("Scopes", IDENTIFIER, 500),
    "membership_claim": ("Membership claim", IDENTIFIER, 100),
    "roles_claim": ("Roles claim", IDENTIFIER, 100),
}


@dataclass(frozen=True)
class SsoForm:
    """Single sign-on settings as entered. An empty secret keeps the stored one for the same
    issuer and client ID."""

    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: str = ""
    membership_claim: str = ""
    roles_claim: str = ""


class SsoProblems(Problems):
    """Every problem with single sign-on settings; each `path` is a field of `SsoForm`
    (issuer, client_id, client_secret, scopes, membership_claim, roles_claim) and each
    message a sentence naming it ("Scopes must include openid")."""


@dataclass(frozen=True)
class SsoOverview:
    active: StoredProvider | None
    pending: StoredProvider | None


async def sso_overview(db: Database, tenant_id: uuid.UUID, secret_key: str) -> SsoOverview:
    async with db.tenant(tenant_id) as session:
        rows = await rows_by_status(session)
    active, pending = rows.get(ProviderStatus.ACTIVE), rows.get(ProviderStatus.PENDING)
    return SsoOverview(
        active=stored(active, secret_key) if active else None,
        pending=stored(pending, secret_key) if pending else None,
    )


async def active_config(
    db: Database, tenant_id: uuid.UUID, secret_key: str
) -> ProviderConfig | None:
    """The provider members sign in through, if any."""
    async with db.tenant(tenant_id) as session:
        row = (await rows_by_status(session)).get(ProviderStatus.ACTIVE)
        return to_config(row, secret_key) if row is not None else None


def _checked(form: SsoForm) -> tuple[dict[str, str], list[Problem]]:
    """The settings cleaned by the one text check (`core/text.py`), and every problem."""
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for name, (label, kind, longest) in SSO_FIELDS.items():
        try:
            values[name] = clean_text(
                getattr(form, name), label=label, kind=kind, max_length=longest
            )
        except BadText as exc:
            values[name] = ""
            problems.append(Problem(path=name, message=exc.message))
    values["issuer"] = values["issuer"].rstrip("/")
    values["scopes"] = " ".join(values["scopes"].split()) or DEFAULT_SCOPES
    if not any(p.path == "issuer" for p in problems):
        try:
            check_issuer_url(values["issuer"])
        except ValueError as exc:
            problems.append(Problem(path="issuer", message=f"Issuer URL: {exc}"))
    if not values["client_id"] and not any(p.path == "client_id" for p in problems):
        problems.append(Problem(path="client_id", message="Client ID is needed"))
    if "openid" not in values["scopes"].split() and not any(p.path == "scopes" for p in problems):
        problems.append(Problem(path="scopes", message="Scopes must include openid"))
    return values, problems


@dataclass(frozen=True)
class SsoSaved:
    status: str  # "active", "pending" or "unchanged"
    issuer: str


async def configure_sso(
    db: Database,
    tenant_id: uuid.UUID,
    secret_key: str,
    oidc: OidcClient,
    form: SsoForm,
    *,
    actor: str,
    activate: bool = False,
) -> SsoSaved:
    """Check `form` (lengths, issuer URL, scopes, the provider's discovery document) and
    store it as the pending provider, to be activated by a successful test sign-in; with
    `activate` (the operator) as the active one at once. SsoProblems lists every problem;
    then nothing changes. Settings equal to the active ones change nothing (and withdraw a
    pending change)."""
    values, problems = _checked(form)
    async with db.tenant(tenant_id) as session:
        rows = list((await rows_by_status(session)).values())
        reusable = [
            to_config(r, secret_key).client_secret
            for r in rows
            if r.issuer == values["issuer"] and r.client_id == values["client_id"]
        ]
        active_row = next((r for r in rows if r.status == ProviderStatus.ACTIVE), None)
        active = to_config(active_row, secret_key) if active_row else None
    secret = values["client_secret"] or (reusable[0] if reusable else "")
    if any(p.path == "client_secret" for p in problems):
        pass
    elif not secret and values["client_id"]:
        problems.append(
            Problem(
                path="client_secret",
                message="Client secret is needed for a new issuer or client ID",
            )
        )
    elif not secret:
        problems.append(Problem(path="client_secret", message="Client secret is needed"))
    if not problems:
        try:
            await oidc.metadata(values["issuer"])
        except OidcError as exc:
            problems.append(Problem(path="issuer", message=f"Issuer URL: {exc}"))
    if problems:
        raise SsoProblems(problems)
    mapping = {
        key: values[f"{key}_claim"] for key in ("membership", "roles") if values[f"{key}_claim"]
    }
    wanted = ProviderConfig(
        values["issuer"],
        values["client_id"],
        secret,
        values["scopes"],
        {"email": "email", "name": "name", **mapping},
    )
    status = ProviderStatus.ACTIVE if activate else ProviderStatus.PENDING
    async with db.tenant(tenant_id) as session:
        rows_now = await rows_by_status(session)
        if not activate and active is not None and active == wanted:
            withdrawn = rows_now.get(ProviderStatus.PENDING)
            if withdrawn is not None:
                await session.delete(withdrawn)
                audit.record(
                    session,
                    "sso_pending_withdrawn",
                    actor=actor,
                    details={"issuer": withdrawn.issuer},
                )
            return SsoSaved("unchanged", wanted.issuer)
        if activate and (pending := rows_now.get(ProviderStatus.PENDING)) is not None:
            await session.delete(pending)  # the operator's choice replaces an untested change
        await save_provider(
            session,
            secret_key,
            issuer=wanted.issuer,
            client_id=wanted.client_id,
            client_secret=secret,
            scopes=wanted.scopes,
            claim_mapping=mapping,
            status=status,
        )
        if activate and active is not None and active.issuer != wanted.issuer:
            await _relink_members(session, active.issuer)
        audit.record(
            session,
            "sso_configured",
            actor=actor,
            details={"issuer": wanted.issuer, "client_id": wanted.client_id, "status": status},
        )
    return SsoSaved(str(status), wanted.issuer)


async def _relink_members(session: AsyncSession, old_issuer: str) -> None:
    """Members known by the old provider's subjects are linked again, by their verified
    e-mail address, at their first sign-in through the new provider."""
    await session.execute(
        update(Member)
        .where(Member.issuer == old_issuer)
        .values(issuer=None, subject=None)
        .execution_options(synchronize_session=False)
    )


async def sso_test_target(
    db: Database, tenant_id: uuid.UUID, secret_key: str
) -> StoredProvider | None:
    """The pending provider a test sign-in goes through, if there is one."""
    return (await sso_overview(db, tenant_id, secret_key)).pending


@dataclass(frozen=True)
class SsoTestResult:
    activated: bool
    issuer: str | None
    reason: str | None = None


async def complete_sso_test(
    db: Database,
    tenant_id: uuid.UUID,
    secret_key: str,
    oidc: OidcClient,
    provider_id: str,
    pending: Pending,
    params: dict[str, str],
    *,
    actor: str,
) -> SsoTestResult:
    """The answer to a test sign-in through the pending provider: a valid ID token makes it
    the active provider (one transaction, "sso_activated"); anything else leaves the active
    one in place and records why on the pending one ("sso_test_failed")."""

    async def pending_row(session: AsyncSession) -> IdentityProvider | None:
        row = (await rows_by_status(session)).get(ProviderStatus.PENDING)
        return row if row is not None and str(row.id) == provider_id else None

    async with db.tenant(tenant_id) as session:
        row = await pending_row(session)
        config = to_config(row, secret_key) if row is not None else None
    if config is None:
        return SsoTestResult(
            False, None, "the settings being tested were changed or already activated"
        )
    try:
        await oidc.finish(config, pending, params)
    except OidcError as exc:
        reason = str(exc)[:300]
        if "invalid_client" in reason:  # the usual mistake, in plain words
            reason = "the provider refused the client ID or client secret (invalid_client)"
        async with db.tenant(tenant_id) as session:
            row = await pending_row(session)
            if row is not None:
                row.test_error, row.tested_at = reason, datetime.now(UTC)
            audit.record(
                session,
                "sso_test_failed",
                actor=actor,
                details={"issuer": config.issuer, "reason": reason},
            )
        return SsoTestResult(False, config.issuer, reason)
    async with db.tenant(tenant_id) as session:
        row = await pending_row(session)
        if row is None:
            return SsoTestResult(False, None, "the settings being tested were changed meanwhile")
        row.tested_at = datetime.now(UTC)
        previous = await promote(session, row)
        if previous is not None and previous.issuer != row.issuer:
            await _relink_members(session, previous.issuer)
        audit.record(
            session,
            "sso_activated",
            actor=actor,
            details={
                "issuer": row.issuer,
                "client_id": row.client_id,
                "previous": previous.issuer if previous is not None else None,
            },
        )
    return SsoTestResult(True, config.issuer)


EMBEDDED_ACTOR = "embedded default (start-up)"


async def provision_default_provider(
    db: Database,
    tenant_id: uuid.UUID,
    secret_key: str,
    config: ProviderConfig,
    *,
    is_default: Callable[[str, str], bool],
) -> str:
    """The embedded default's provider for one tenant: created only when the tenant has
    none; rows that are the default provider (`is_default(issuer, client_id)`) follow it to
    `config` (a new port); any other row, an admin's choice, is left alone. Returns
    "created", "updated" or "unchanged"; each change is audited."""
    async with db.tenant(tenant_id) as session:
        rows = await rows_by_status(session)
        if not rows:
            await save_provider(
                session,
                secret_key,
                issuer=config.issuer,
                client_id=config.client_id,
                client_secret=config.client_secret,
                scopes=config.scopes,
                claim_mapping=config.claim_mapping,
            )
            audit.record(
                session,
                "sso_configured",
                actor=EMBEDDED_ACTOR,
                details={
                    "issuer": config.issuer,
                    "client_id": config.client_id,
                    "status": "active",
                },
            )
            return "created"
        outcome = "unchanged"
        for row in rows.values():
            if not is_default(row.issuer, row.client_id) or (
                row.issuer == config.issuer
                and to_config(row, secret_key).client_secret == config.client_secret
            ):
                continue
            previous = row.issuer
            row.issuer = config.issuer
            row.client_secret_enc = encrypt_secret(secret_key, tenant_id, config.client_secret)
            await session.execute(
                update(Member)
                .where(Member.issuer == previous)
                .values(issuer=config.issuer)
                .execution_options(synchronize_session=False)
            )
            audit.record(
                session,
                "sso_default_moved",
                actor=EMBEDDED_ACTOR,
                details={"from": previous, "to": config.issuer, "status": row.status},
            )
            outcome = "updated"
        return outcome


# --- roster and approvals ----------------------------------------------------------------


async def upload_roster(
    db: Database, tenant_id: uuid.UUID, rows: list[RosterRow], *, actor: str
) -> dict[str, int]:
    """Apply checked roster rows, all or nothing, audited ("roster_upload")."""
    async with db.tenant(tenant_id) as session:
        return await apply_roster(session, rows, actor)


#: Problems mailed to the uploader, at most (the page lists them all); line numbers kept in
#: the audit log, at most.
MAILED_PROBLEMS = 100
AUDITED_LINES = 5
_LINE = re.compile(r"^line (\d+)$")


@dataclass(frozen=True)
class RosterRejected:
    problems: int
    lines: tuple[int, ...]  # the first few problem lines, as audited
    mailed: bool  # False: this uploader was already sent this very file's problems


async def reject_roster(
    db: Database,
    tenant_id: uuid.UUID,
    data: bytes,
    report: RosterReport,
    *,
    actor: str,
    member_id: uuid.UUID | str | None,
) -> RosterRejected:
    """A roster that failed its checks (nothing was applied): one transaction audits it
    ("roster_rejected": the number of problems and the first line numbers; no member data)
    and mails the uploader the line-numbered problems (kind roster_rejected, also in their
    notifications). The key is the uploader and the file's SHA-256, so the same file sent
    again (a retried form) is audited again but mailed once."""
    lines = sorted(
        {int(m.group(1)) for p in report.problems if (m := _LINE.match(p.path)) is not None}
    )
    problems = [str(p) for p in report.problems[:MAILED_PROBLEMS]]
    if len(report.problems) > MAILED_PROBLEMS:
        problems.append(
            f"… and {len(report.problems) - MAILED_PROBLEMS} more problems (listed on the "
            "roster page when you upload the file)"
        )
    async with db.tenant(tenant_id) as session:
        audit.record(
            session,
            "roster_rejected",
            actor=actor,
            details={"problems": len(report.problems), "lines": lines[:AUDITED_LINES]},
        )
        uploader = (
            await get_in_tenant(session, Member, member_id, what="member")
            if member_id is not None
            else None
        )
        try:
            check_address(uploader.email if uploader is not None else actor)
        except MessageError:
            log.warning("roster rejection not mailed: the uploader's address cannot take mail")
            return RosterRejected(len(report.problems), tuple(lines[:AUDITED_LINES]), False)
        tenant = await _tenant(session)
        digest = hashlib.sha256(data).hexdigest()[:32]
        who = uploader.id if uploader is not None else actor.lower()
        to: dict[str, Any] = (
            {"to_member": uploader} if uploader is not None else {"to_address": actor}
        )
        sent = await send(
            session,
            tenant,
            "roster_rejected",
            {
                "problems": problems,
                "rows": len(report.rows) + len([n for n in lines if n > 1]),
                "link": f"{base_url(get_settings(), tenant)}/admin/roster",
            },
            f"roster_rejected:{who}:{digest}",
            **to,
        )
    return RosterRejected(len(report.problems), tuple(lines[:AUDITED_LINES]), sent is not None)


async def decide_approval(
    db: Database, tenant_id: uuid.UUID, secret_key: str, token: str, *, decision: str, comment: str
) -> ApprovalRequest:
    """An approver's decision through their link, once (LinkProblem otherwise), audited."""
    async with db.tenant(tenant_id) as session:
        return await decide(session, secret_key, token, decision=decision, comment=comment)
