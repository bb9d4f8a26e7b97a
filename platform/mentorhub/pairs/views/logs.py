"""The private reflective log (issue 15): `GET/POST /pairs/{pair_id}/log` [pair_log], one
entry `GET/POST /pairs/{pair_id}/log/{entry_id}` [pair_log_entry / pair_log_edit] with
`/share`, `/unshare` and `/delete`, and the coordinator's `GET /pairs/{pair_id}/log/shared`
[pair_log_shared].

Who sees what (the queries in `pairs.services.logs` decide it in their WHERE clauses):

* each person of the pair: their own entries only — the other person's log page lists none
  of the author's entries, and the author's entry URLs answer 404 to them;
* the coordinator: `/log/shared` only, listing the entries currently shared with them (the
  author's name, the date written, the date shared, the words), nothing else of the log,
  not even a count of private entries; every other log URL is 404 to them;
* a person of the pair opening `/log/shared` is sent (303) to their own log: nothing
  there is theirs to read, and the redirect shows nothing extra (chosen over a 404 so a
  coordinator who is also in a pair and follows a link lands somewhere useful);
* anyone else: 404 (`pairs.access.space_for`).

After the end the log is read-only: the entries are listed, the forms are gone, and only
"Withdraw the share" is still offered (`services.logs`: the author's right).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from mentorhub.applications.views.coordinator_common import page_context
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis, base
from mentorhub.pairs.access import space_for
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import logs
from mentorhub.pairs.space_models import LogEntry
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import TEXT, FormErrors, field, read_form, rerender

PAIR = "/pairs/{pair_id:uuid}"
ENTRY = PAIR + "/log/{entry_id:str}"
LOG_PAGE = "pairs/log.html"
ENTRY_PAGE = "pairs/log_entry.html"
SHARED_PAGE = "pairs/log_shared.html"

PRIVACY = (
    "Only you can read your log. You can share a single entry with the coordinator for a "
    "review, and withdraw it."
)
DONE = {
    "written": "Entry saved. Only you can read it.",
    "edited": "Entry saved.",
    "deleted": "Entry deleted.",
    "shared": "Shared with the coordinator, who has been told by e-mail. You can withdraw "
    "it at any time.",
    "unshared": "Share withdrawn: the coordinator can no longer read this entry.",
}


class EntryForm(msgspec.Struct, kw_only=True):
    title: Annotated[str, field("Title", max_length=logs.TITLE_MAX)] = ""
    written_on: Annotated[str, field("Date", max_length=10)] = ""
    meeting: Annotated[str, field("Meeting", max_length=36)] = ""
    body: Annotated[str, field("Entry", kind=TEXT, max_length=logs.BODY_MAX, required=True)]
    lock_version: Annotated[int, field("Version", minimum=0, maximum=10**9)] | None = None


class Versioned(msgspec.Struct, kw_only=True):
    lock_version: Annotated[int, field("Version", minimum=0, maximum=10**9)] | None = None


def _viewer(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the MEMBER rule checked it
    return uuid.UUID(identity.member_id)


def _entry_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("log entry") from None


def _meeting_words(zone: Any, m: logs.MeetingChoice) -> str:
    local = m.starts_at.astimezone(zone)
    state = {"held": "held", "scheduled": "scheduled"}.get(m.state, "not held")
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({state})"


async def _log_context(
    db: Database, tenant: Tenant, identity: Identity, pair_id: uuid.UUID
) -> dict[str, Any]:
    """The party's log page: their own entries and the form's choices."""
    async with db.tenant(tenant.id) as session:
        space = await space_for(session, pair_id, _viewer(identity))
        if not space.is_party:
            raise NotFound("pair")
        entries = await logs.my_entries(session, space)
        meetings = await logs.meeting_choices(session, space, keep={e.meeting_id for e in entries})
    context = page_context(tenant, identity, space=space, current="log", privacy=PRIVACY)
    zone = context["zone"]
    context.update(
        entries=entries,
        meetings=[(str(m.id), _meeting_words(zone, m)) for m in meetings],
        meeting_words={m.id: _meeting_words(zone, m) for m in meetings},
        today=logs.today_in(tenant).isoformat(),
        title_max=logs.TITLE_MAX,
    )
    return context


async def _entry_context(
    db: Database, tenant: Tenant, identity: Identity, pair_id: uuid.UUID, entry_id: uuid.UUID
) -> dict[str, Any]:
    async with db.tenant(tenant.id) as session:
        space = await space_for(session, pair_id, _viewer(identity))
        entry = await logs.my_entry(session, space, entry_id)
        meetings = await logs.meeting_choices(session, space, keep=[entry.meeting_id])
    context = page_context(tenant, identity, space=space, current="log", privacy=PRIVACY)
    zone = context["zone"]
    context.update(
        entry=entry,
        meetings=[(str(m.id), _meeting_words(zone, m)) for m in meetings],
        meeting_words={m.id: _meeting_words(zone, m) for m in meetings},
        today=logs.today_in(tenant).isoformat(),
        title_max=logs.TITLE_MAX,
    )
    return context


def _entry_values(entry: LogEntry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "written_on": entry.written_on.isoformat(),
        "meeting": str(entry.meeting_id) if entry.meeting_id else "",
        "body": entry.body,
    }


async def _done(request: AnyRequest, aredis: Any, what: str, to: str) -> Redirect:
    await flash.put(aredis, request, TENANT_COOKIE, {"kind": "log", "text": DONE[what]})
    return Redirect(to, status_code=303)


async def _notice(request: AnyRequest, aredis: Any) -> str | None:
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    if notice and notice.get("kind") == "log":
        return str(notice.get("text") or "") or None
    return None


def _refusal(exc: Refused) -> Problems:
    return Problems([Problem(message=f"{exc} Nothing was changed.")])


# --- the author's log ----------------------------------------------------------------------


@get(PAIR + "/log", name="pair_log", opt=rule(MEMBER))
async def pair_log(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """The viewer's own log in this pair, newest first, and the form to write an entry."""
    context = await _log_context(reads, tenant, identity, pair_id)
    context.update(notice=await _notice(request, aredis), values={})
    return Template(LOG_PAGE, context=context)


@post(PAIR + "/log", name="pair_log_write", opt=rule(MEMBER))
async def pair_log_write(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    form: EntryForm | None = None
    try:
        form = await read_form(request, EntryForm)
        await logs.write_entry(
            db,
            tenant.id,
            _viewer(identity),
            pair_id,
            title=form.title,
            body=form.body,
            written_on=form.written_on,
            meeting_id=form.meeting or None,
        )
    except (FormErrors, Problems) as problems:
        context = await _log_context(db, tenant, identity, pair_id)
        return rerender(LOG_PAGE, context, _with_values(problems, form))
    except Refused as refused:
        context = await _log_context(db, tenant, identity, pair_id)
        return rerender(LOG_PAGE, context, _refusal(refused), status_code=409)
    return await _done(request, aredis, "written", f"{base(request)}/pairs/{pair_id}/log")


def _with_values(problems: Problems, form: EntryForm | None) -> Problems:
    """The problems with what was typed, to show the form again."""
    if isinstance(problems, FormErrors) or form is None:
        return problems
    values = {
        "title": form.title,
        "written_on": form.written_on,
        "meeting": form.meeting,
        "body": form.body,
    }
    return FormErrors(list(problems.problems), values)


# --- one entry -----------------------------------------------------------------------------


@get(ENTRY, name="pair_log_entry", opt=rule(MEMBER))
async def pair_log_entry(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    entry_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """One of the viewer's own entries: read it, change it, share or withdraw it, delete it."""
    context = await _entry_context(reads, tenant, identity, pair_id, _entry_id(entry_id))
    context.update(notice=await _notice(request, aredis), values=_entry_values(context["entry"]))
    return Template(ENTRY_PAGE, context=context)


@post(ENTRY, name="pair_log_edit", opt=rule(MEMBER))
async def pair_log_edit(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    entry_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    key = _entry_id(entry_id)
    form: EntryForm | None = None
    try:
        form = await read_form(request, EntryForm)
        await logs.edit_entry(
            db,
            tenant.id,
            _viewer(identity),
            pair_id,
            key,
            title=form.title,
            body=form.body,
            written_on=form.written_on,
            meeting_id=form.meeting or None,
            lock_version=form.lock_version,
        )
    except (FormErrors, Problems) as problems:
        context = await _entry_context(db, tenant, identity, pair_id, key)
        return rerender(ENTRY_PAGE, context, _with_values(problems, form))
    except Refused as refused:
        context = await _entry_context(db, tenant, identity, pair_id, key)
        values = _entry_values(context["entry"])
        return rerender(ENTRY_PAGE, context, _refusal(refused), values=values, status_code=409)
    return await _done(request, aredis, "edited", f"{base(request)}/pairs/{pair_id}/log/{key}")


async def _one_button(
    request: AnyRequest,
    tenant: Tenant,
    db: Database,
    identity: Identity,
    aredis: Any,
    pair_id: FromPath[uuid.UUID],
    entry_id: FromPath[str],
    what: str,
) -> Response[Any] | Template:
    """Share, withdraw or delete: the page again with the refusal, or on with a notice."""
    key = _entry_id(entry_id)
    actor = _viewer(identity)
    back = f"{base(request)}/pairs/{pair_id}/log"
    try:
        form = await read_form(request, Versioned)
        if what == "shared":
            await logs.share_entry(db, tenant.id, actor, pair_id, key)
        elif what == "unshared":
            await logs.unshare_entry(db, tenant.id, actor, pair_id, key)
        else:
            await logs.delete_entry(
                db, tenant.id, actor, pair_id, key, lock_version=form.lock_version
            )
    except (Refused, Problems) as exc:
        problems = _refusal(exc) if isinstance(exc, Refused) else exc
        context = await _entry_context(db, tenant, identity, pair_id, key)
        status = 409 if isinstance(exc, Refused) else 400
        values = _entry_values(context["entry"])
        return rerender(ENTRY_PAGE, context, problems, values=values, status_code=status)
    return await _done(request, aredis, what, back if what == "deleted" else f"{back}/{key}")


def _button(action: str, what: str) -> HTTPRouteHandler:
    """`POST ENTRY/<action>` [pair_log_<action>]: one of the entry's buttons (`_one_button`)."""

    async def handler(
        tenant: CurrentTenant,
        db: DB,
        identity: CurrentIdentity,
        pair_id: FromPath[uuid.UUID],
        entry_id: FromPath[str],
        request: AnyRequest,
        aredis: AsyncRedis,
    ) -> Response[Any] | Template:
        return await _one_button(request, tenant, db, identity, aredis, pair_id, entry_id, what)

    name = handler.__name__ = handler.__qualname__ = "pair_log_" + action
    return post(ENTRY + "/" + action, name=name, opt=rule(MEMBER))(handler)


pair_log_share = _button("share", "shared")
pair_log_unshare = _button("unshare", "unshared")
pair_log_delete = _button("delete", "deleted")


# --- the coordinator's read ----------------------------------------------------------------


@get(PAIR + "/log/shared", name="pair_log_shared", opt=rule(MEMBER))
async def pair_log_shared(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
) -> Response[Any] | Template:
    """The entries of this pair shared with the coordinator now; a person of the pair is
    sent to their own log."""
    async with reads.tenant(tenant.id) as session:
        space = await space_for(session, pair_id, _viewer(identity))
        if space.is_party:
            return Redirect(f"{base(request)}/pairs/{pair_id}/log", status_code=303)
        shared = await logs.shared_entries(session, space)
    context = page_context(
        tenant, identity, space=space, current="log", shared=shared, now=datetime.now(UTC)
    )
    return Template(SHARED_PAGE, context=context)


ROUTES: list[HTTPRouteHandler] = [
    pair_log,
    pair_log_write,
    pair_log_shared,
    pair_log_entry,
    pair_log_edit,
    pair_log_share,
    pair_log_unshare,
    pair_log_delete,
]
