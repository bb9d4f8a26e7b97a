"""The platform console's actions on a tenant's lifecycle (issue 17, point 4): create,
hostnames (add, verify by the HTTP challenge, remove), single sign-on, suspend and resume.

The runtime role still writes no platform table directly (migration 0006): every change to
a tenant or a hostname goes through the checked SECURITY DEFINER functions of migration
0018 (`mentorhub_tenant_create`, `_set_status`, `_add_hostname`, `_remove_hostname`,
`_hostname_verified`); what a platform admin did goes to `platform_audit` (actor: their
e-mail; tenant content: never), and what happened to a tenant to its own `audit_log` too.

Each action is one function and one transaction — the tenant's (`db.tenant(id)`), which the
definer functions and the `platform_audit` insert are allowed in as well, so the platform's
row, its audit entry and the tenant's own rows commit together or not at all:

* **Create** runs in ONE transaction: the tenant row (function), its hostnames (pending,
  each with a token), `platform_audit` "tenant.created", the starting scheme stored as
  version 1 (with the reference file's wording of messages), the first tenant admin listed
  with the role (`identity.services.apply_roles`, the step `change_roles` takes, which
  audits the change and mails them) and the tenant's `tenant_created` audit row. If any part
  fails nothing is kept — no half-made tenant — and the same form sent again works. (The
  brief allowed a platform transaction then a tenant transaction with compensation; one
  transaction needs no compensation, and `db.tenant(id)` of an id about to be created is an
  ordinary transaction.)
* **Suspend / resume**: the status through the function, both audit rows. A suspended
  tenant's pages answer the suspended page (`web.deps`), and no scheduled work reaches it:
  the checkpoints' clock discovery, the matching sweeps' scheduling and the retention purge
  (`core.tenants.for_each_tenant`) all read active tenants only. Mail already written before
  the suspension (its outbox row committed) is still delivered: it was sent while the
  tenant was active, the relay hands it to a worker within a second, and holding it would
  deliver stale reminders on resumption.
* **SSO**: `identity.services.configure_sso`, with the tenant admin's checks (lengths,
  issuer URL, scopes, the provider's discovery document), stored *active* at once (the
  operator's choice; a tenant admin's change waits for a test sign-in), then
  `platform_audit` "tenant.sso_stored" (issuer and client id, never the secret).
* **Hostnames**: a hostname any tenant already has is refused; a verification that fails
  is audited too ("hostname.verify_failed", with why) and changes nothing else.

After each commit `directory.invalidate()`: this process routes the change at once.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database, access
from mentorhub.identity.models import Member, Role
from mentorhub.identity.oidc import OidcClient
from mentorhub.identity.services import SsoForm, SsoSaved, apply_roles, configure_sso
from mentorhub.schemes import SchemeError, load_tenant_file
from mentorhub.schemes.calendar import check_jurisdiction
from mentorhub.schemes.messages import MessageText
from mentorhub.schemes.rules import Branding, Scheme
from mentorhub.schemes.services import store_message_texts, store_version
from mentorhub.schemes.validate import parse_scheme
from mentorhub.settings import Settings
from mentorhub.tenancy import directory
from mentorhub.tenancy.models import PlatformAuditEntry, Tenant, TenantDomain, TenantStatus
from mentorhub.tenancy.verify import ChallengeFailed, fetch_challenge, new_token

__all__ = [
    "BLANK",
    "BLANK_SCHEME",
    "LifecycleProblems",
    "NewTenant",
    "NotFound",
    "StartingScheme",
    "add_hostname",
    "create_tenant",
    "remove_hostname",
    "resume",
    "starting_scheme",
    "starting_schemes",
    "store_sso",
    "suspend",
    "verify_hostname",
]

#: The same patterns the definer functions check (migration 0018), to say so in words first.
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
JURISDICTION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
MAX_HOSTNAMES = 10

BLANK = "blank"
BLANK_SCHEME = Path(__file__).with_name("blank_scheme.toml")


class LifecycleProblems(Problems):
    """What is wrong with a console form; each `path` is the form's field. Nothing changed."""


class NotFound(access.NotFound):
    """No such tenant, or no such hostname of it. Out of a handler it answers the 404 page,
    as `db.access.NotFound` does (`app.py`), so the console's pages need not catch it."""


def _problem(path: str, message: str) -> LifecycleProblems:
    return LifecycleProblems([Problem(path=path, message=message)])


# --- starting schemes -----------------------------------------------------------------------


@dataclass(frozen=True)
class StartingScheme:
    key: str  # "blank" or a reference file's slug
    label: str
    scheme: Scheme  # already numbered version 1
    messages: tuple[MessageText, ...] = ()


def starting_schemes(settings: Settings) -> list[tuple[str, str]]:
    """(key, label) of each starting scheme offered: the reference files in
    `settings.tenants_dir`, by their association's name, then the blank one."""
    found: list[tuple[str, str]] = []
    for path in sorted(settings.tenants_dir.glob("*.toml")):
        try:
            file = load_tenant_file(path)
        except SchemeError:
            continue  # a bad file is the operator's to fix; it is not offered
        found.append((path.stem, f"{file.tenant.name}: {file.scheme.name or path.stem}"))
    found.sort(key=lambda kv: kv[1])
    return [*found, (BLANK, "Blank: the fewest rules, to be written by the association")]


def starting_scheme(settings: Settings, key: str) -> StartingScheme:
    """The scheme `key` names, as the new tenant's version 1; LifecycleProblems if none."""
    if key == BLANK:
        data = tomllib.loads(BLANK_SCHEME.read_text(encoding="utf-8"))
        scheme = parse_scheme(data["scheme"], str(BLANK_SCHEME))
        return StartingScheme(BLANK, "Blank", msgspec.structs.replace(scheme, version=1))
    offered = dict(starting_schemes(settings))
    if key not in offered or key == BLANK:
        raise _problem("scheme", "Choose a starting scheme")
    try:
        file = load_tenant_file(settings.tenants_dir / f"{key}.toml")
    except SchemeError:
        raise _problem("scheme", "That reference file cannot be read; choose another") from None
    scheme = msgspec.structs.replace(file.scheme, version=1)
    return StartingScheme(key, offered[key], scheme, file.messages)


# --- creating a tenant ----------------------------------------------------------------------


@dataclass(frozen=True)
class NewTenant:
    """The create form as read (`web.forms` has checked lengths and kinds of text)."""

    slug: str
    name: str
    jurisdiction: str
    hostnames: str  # one per line
    admin_email: str
    scheme: str  # a starting scheme's key


def hostnames_of(lines: str) -> list[str]:
    """The hostnames typed one per line (blank lines, spaces and a trailing dot dropped)."""
    seen: list[str] = []
    for line in lines.splitlines():
        host = line.strip().lower().rstrip(".")
        if host and host not in seen:
            seen.append(host)
    return seen


def _check_hostname(host: str) -> str | None:
    if not HOSTNAME.match(host) or "." not in host:
        return f"{host[:80]} is not a hostname (such as mentoring.example.org)"
    return None


async def _taken_hostnames(session: AsyncSession, hosts: list[str]) -> list[str]:
    if not hosts:
        return []
    stmt = select(TenantDomain.hostname).where(TenantDomain.hostname.in_(hosts))
    return sorted((await session.execute(stmt)).scalars())


async def _checked(db: Database, settings: Settings, form: NewTenant) -> StartingScheme:
    problems: list[Problem] = []
    slug = form.slug
    if not SLUG.match(slug):
        problems.append(
            Problem(
                path="slug",
                message="Slug must be lower-case letters, digits and hyphens, "
                "up to 63, starting and ending with a letter or digit",
            )
        )
    if not form.name.strip():
        problems.append(Problem(path="name", message="Name is needed"))
    jurisdiction_problem = check_jurisdiction(form.jurisdiction)
    if jurisdiction_problem is None and not JURISDICTION.match(form.jurisdiction):
        jurisdiction_problem = "must be a country code, optionally with its subdivision"
    if jurisdiction_problem is not None:
        problems.append(
            Problem(path="jurisdiction", message=f"Jurisdiction: {jurisdiction_problem}")
        )
    hosts = hostnames_of(form.hostnames)
    if len(hosts) > MAX_HOSTNAMES:
        problems.append(Problem(path="hostnames", message=f"At most {MAX_HOSTNAMES} hostnames"))
    problems += [Problem(path="hostnames", message=m) for h in hosts if (m := _check_hostname(h))]
    if not form.admin_email:
        problems.append(
            Problem(path="admin_email", message="First administrator's e-mail is needed")
        )
    try:
        start = starting_scheme(settings, form.scheme)
    except LifecycleProblems as exc:
        problems += exc.problems
    async with db.platform() as session:
        if SLUG.match(slug):
            taken = (
                await session.execute(
                    select(func.count()).select_from(Tenant).where(Tenant.slug == slug)
                )
            ).scalar_one()
            if taken:
                problems.append(Problem(path="slug", message=f"The slug {slug} is taken"))
        for host in await _taken_hostnames(session, hosts):
            problems.append(Problem(path="hostnames", message=f"{host} already serves a tenant"))
    if problems:
        raise LifecycleProblems(problems)
    return start


def _audit_platform(
    session: AsyncSession,
    action: str,
    actor: str,
    tenant_id: uuid.UUID,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        PlatformAuditEntry(
            id=uuid.uuid4(), action=action, actor=actor, tenant_id=tenant_id, details=details or {}
        )
    )


async def create_tenant(db: Database, settings: Settings, form: NewTenant, *, actor: str) -> Tenant:
    """Create the tenant the form describes, in one transaction (see the module docstring);
    LifecycleProblems (nothing changed) when the form is wrong or its slug or a hostname is
    taken, even by a tenant created a moment earlier."""
    start = await _checked(db, settings, form)
    hosts = hostnames_of(form.hostnames)
    tenant_id = uuid.uuid4()
    branding = msgspec.to_builtins(Branding(scheme_name=start.scheme.name or form.name))
    try:
        async with db.tenant(tenant_id) as session:
            await session.execute(
                text(
                    "SELECT mentorhub_tenant_create(:id, :slug, :name, :jurisdiction, "
                    "CAST(:branding AS jsonb))"
                ),
                {
                    "id": tenant_id,
                    "slug": form.slug,
                    "name": form.name,
                    "jurisdiction": form.jurisdiction,
                    "branding": msgspec.json.encode(branding).decode(),
                },
            )
            for host in hosts:
                await _add_hostname_row(session, tenant_id, host)
            _audit_platform(
                session,
                "tenant.created",
                actor,
                tenant_id,
                {
                    "slug": form.slug,
                    "name": form.name,
                    "jurisdiction": form.jurisdiction,
                    "hostnames": hosts,
                    "scheme": start.key,
                },
            )
            await store_version(
                session,
                start.scheme,
                f"console:{start.key}",
                created_by=actor,
                summary=f"Created with the tenant from the starting scheme {start.label}",
            )
            await store_message_texts(session, start.messages)
            admin = Member(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                email=form.admin_email.lower(),
                display_name=form.admin_email.lower()[:200],
                roles=[],
            )
            session.add(admin)
            await session.flush()
            await apply_roles(session, admin, [Role.TENANT_ADMIN.value], actor=actor)
            audit.record(
                session,
                "tenant_created",
                actor=actor,
                details={"scheme": start.key, "hostnames": hosts},
            )
    except IntegrityError as exc:  # a slug or hostname taken since the check
        raise _conflict(exc, form.slug) from None
    directory.invalidate()
    return await _tenant(db, form.slug)


def _conflict(exc: IntegrityError, slug: str) -> LifecycleProblems:
    words = str(exc.orig)
    if "tenant_domains" in words or "hostname" in words:
        return _problem("hostnames", "A hostname was taken by another tenant meanwhile")
    return _problem("slug", f"The slug {slug} is taken")


async def _add_hostname_row(session: AsyncSession, tenant_id: uuid.UUID, host: str) -> None:
    await session.execute(
        text("SELECT mentorhub_tenant_add_hostname(:id, :host, :token)"),
        {"id": tenant_id, "host": host, "token": new_token()},
    )


# --- one tenant -----------------------------------------------------------------------------


async def _tenant(db: Database, slug: str) -> Tenant:
    if "\x00" in slug:
        raise NotFound(slug)
    async with db.platform() as session:
        found = (
            await session.execute(select(Tenant).where(Tenant.slug == slug))
        ).scalar_one_or_none()
    if found is None:
        raise NotFound(slug)
    return found


async def add_hostname(db: Database, slug: str, hostname: str, *, actor: str) -> TenantDomain:
    """Add `hostname`, pending with a new token. LifecycleProblems when it is no hostname
    or any tenant has it already."""
    tenant = await _tenant(db, slug)
    host = hostname.strip().lower().rstrip(".")
    message = _check_hostname(host) if host else "Hostname is needed"
    if message is not None:
        raise _problem("hostname", message)
    async with db.platform() as session:
        if await _taken_hostnames(session, [host]):
            raise _problem("hostname", f"{host} already serves a tenant")
    try:
        async with db.tenant(tenant.id) as session:
            await _add_hostname_row(session, tenant.id, host)
            _audit_platform(session, "hostname.added", actor, tenant.id, {"hostname": host})
            audit.record(session, "hostname_added", actor=actor, details={"hostname": host})
    except IntegrityError:
        raise _problem("hostname", f"{host} already serves a tenant") from None
    directory.invalidate()
    return await _domain(db, tenant, host)


async def _domain(db: Database, tenant: Tenant, host: str) -> TenantDomain:
    async with db.platform() as session:
        found = (
            await session.execute(
                select(TenantDomain).where(
                    TenantDomain.tenant_id == tenant.id, TenantDomain.hostname == host
                )
            )
        ).scalar_one_or_none()
    if found is None:
        raise NotFound(host)
    return found


async def verify_hostname(
    db: Database, settings: Settings, slug: str, hostname: str, *, actor: str
) -> None:
    """Fetch the hostname's challenge; it holds → verified (it routes from now on). It does
    not → ChallengeFailed (audited, nothing else changed). NotFound: no such pending
    hostname of this tenant."""
    tenant = await _tenant(db, slug)
    domain = await _domain(db, tenant, hostname)
    if domain.verified_at is not None or not domain.verify_token:
        raise NotFound(hostname)
    token = domain.verify_token
    try:
        await fetch_challenge(settings, domain.hostname, token)
    except ChallengeFailed as failed:
        async with db.tenant(tenant.id) as session:
            _audit_platform(
                session,
                "hostname.verify_failed",
                actor,
                tenant.id,
                {"hostname": domain.hostname, "reason": str(failed)},
            )
        raise
    async with db.tenant(tenant.id) as session:
        await session.execute(
            text("SELECT mentorhub_tenant_hostname_verified(:id, :host, :token)"),
            {"id": tenant.id, "host": domain.hostname, "token": token},
        )
        _audit_platform(
            session, "hostname.verified", actor, tenant.id, {"hostname": domain.hostname}
        )
        audit.record(
            session, "hostname_verified", actor=actor, details={"hostname": domain.hostname}
        )
    directory.invalidate()


async def remove_hostname(db: Database, slug: str, hostname: str, *, actor: str) -> None:
    tenant = await _tenant(db, slug)
    domain = await _domain(db, tenant, hostname)
    async with db.tenant(tenant.id) as session:
        await session.execute(
            text("SELECT mentorhub_tenant_remove_hostname(:id, :host)"),
            {"id": tenant.id, "host": domain.hostname},
        )
        _audit_platform(
            session, "hostname.removed", actor, tenant.id, {"hostname": domain.hostname}
        )
        audit.record(
            session, "hostname_removed", actor=actor, details={"hostname": domain.hostname}
        )
    directory.invalidate()


async def store_sso(
    db: Database,
    settings: Settings,
    oidc: OidcClient,
    slug: str,
    form: SsoForm,
    *,
    actor: str,
) -> SsoSaved:
    """The tenant's OIDC provider, checked as the tenant admin's page checks it
    (`SsoProblems` lists what is wrong; nothing changed) and stored active."""
    tenant = await _tenant(db, slug)
    saved = await configure_sso(
        db, tenant.id, settings.secret_key or "", oidc, form, actor=actor, activate=True
    )
    async with db.tenant(tenant.id) as session:
        _audit_platform(
            session,
            "tenant.sso_stored",
            actor,
            tenant.id,
            {"issuer": saved.issuer, "client_id": form.client_id, "status": saved.status},
        )
    return saved


async def _set_status(
    db: Database, slug: str, status: str, *, actor: str, reason: str = ""
) -> Tenant:
    tenant = await _tenant(db, slug)
    if tenant.status == status:
        words = "suspended" if status == TenantStatus.SUSPENDED else "active"
        raise _problem("", f"{tenant.name} is already {words}")
    verb = "suspended" if status == TenantStatus.SUSPENDED else "resumed"
    details = {"reason": reason} if reason else {}
    async with db.tenant(tenant.id) as session:
        await session.execute(
            text("SELECT mentorhub_tenant_set_status(:id, :status)"),
            {"id": tenant.id, "status": str(status)},
        )
        _audit_platform(session, f"tenant.{verb}", actor, tenant.id, details)
        audit.record(session, f"tenant_{verb}", actor=actor, details=details)
    directory.invalidate()
    return await _tenant(db, slug)


async def suspend(db: Database, slug: str, *, reason: str, actor: str) -> Tenant:
    """Suspend: its members see the suspended page, no scheduled mail goes out for it."""
    if not reason.strip():
        raise _problem("reason", "Reason is needed")
    return await _set_status(db, slug, TenantStatus.SUSPENDED, actor=actor, reason=reason)


async def resume(db: Database, slug: str, *, actor: str) -> Tenant:
    return await _set_status(db, slug, TenantStatus.ACTIVE, actor=actor)
