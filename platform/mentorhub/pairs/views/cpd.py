"""A member's CPD record (issue 15): `GET /cpd` [cpd_record] shows what the record holds
(meetings held, total hours, goals) with a checklist of the member's own log entries (none
ticked by default) and an optional period; `GET /cpd.pdf` [cpd_pdf] and `GET /cpd.csv`
[cpd_csv] download it with the ticked entries (`?entry=<id>&entry=<id>&from=&to=`).

An entry id that is not one of the member's own (someone else's, deleted, or not an id)
refuses the download with 400 and the page says so at the top: nothing is downloaded and
nothing tells whether such an entry exists (`pairs.cpd`). A bad period (not a date, or
`from` after `to`) is shown at its field, 400. The downloads are `Cache-Control: no-store`
attachments: the record holds private reflections.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import get
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response, Template

from mentorhub.applications.views.coordinator_common import page_context
from mentorhub.core.problems import Problem, Problems
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest
from mentorhub.pairs import cpd
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import FormErrors, field, read_query, rerender
from mentorhub.web.reads import RequestReads

PAGE = "pairs/cpd.html"


class CpdQuery(msgspec.Struct, kw_only=True):
    entry: list[Annotated[str, field("Log entry", max_length=40)]] = []
    since: Annotated[str, field("From", max_length=10)] = msgspec.field(default="", name="from")
    until: Annotated[str, field("To", max_length=10)] = msgspec.field(default="", name="to")


class _Chosen(msgspec.Struct, frozen=True):
    ids: list[uuid.UUID]
    since: date | None
    until: date | None


def _member(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the MEMBER rule checked it
    return uuid.UUID(identity.member_id)


def _period(query: CpdQuery) -> tuple[date | None, date | None]:
    problems: list[Problem] = []
    days: dict[str, date | None] = {}
    for key, label, value in (("from", "From", query.since), ("to", "To", query.until)):
        days[key] = None
        if value:
            try:
                days[key] = date.fromisoformat(value)
            except ValueError:
                problems.append(
                    Problem(path=key, message=f"{label} must be a date like 2027-03-31")
                )
    since, until = days["from"], days["to"]
    if since and until and since > until:
        problems.append(Problem(path="to", message="To must be on or after From"))
    if problems:
        raise Problems(problems)
    return since, until


def _read(request: AnyRequest) -> tuple[_Chosen | None, dict[str, Any], Problems | None]:
    """The query: the chosen entries and period, what to show again, or its problems."""
    values: dict[str, Any] = {}
    try:
        query = read_query(request, CpdQuery)
        values = {"entry": query.entry, "from": query.since, "to": query.until}
        since, until = _period(query)
        ids = cpd.parse_ids(query.entry)
    except FormErrors as errors:
        return None, dict(errors.values), errors
    except Problems as problems:
        return None, values, problems
    return _Chosen(ids, since, until), values, None


async def _record(
    reads: RequestReads, tenant: Tenant, identity: Identity, chosen: _Chosen | None
) -> cpd.CpdRecord:
    async with reads.tenant(tenant.id) as session:
        return await cpd.cpd_record(
            session,
            tenant,
            _member(identity),
            chosen=chosen.ids if chosen else (),
            since=chosen.since if chosen else None,
            until=chosen.until if chosen else None,
        )


async def _page(
    reads: RequestReads,
    tenant: Tenant,
    identity: Identity,
    chosen: _Chosen | None,
    values: dict[str, Any],
    errors: Problems | None,
) -> Template:
    """The page; with `errors`, answering 400 (the record shown for the period alone)."""
    try:
        record = await _record(reads, tenant, identity, chosen)
    except cpd.NotYours as refused:
        errors = refused
        record = await _record(
            reads, tenant, identity, _Chosen([], chosen.since, chosen.until) if chosen else None
        )
        values = {**values, "entry": []}
    context = page_context(
        tenant,
        identity,
        record=record,
        hours=cpd.hours,
        chosen_ids={str(i) for i in (chosen.ids if chosen else ())},
        values=values,
    )
    if errors is not None:
        return rerender(PAGE, context, errors, values=values)
    return Template(PAGE, context=context)


@get("/cpd", name="cpd_record", opt=rule(MEMBER))
async def cpd_page(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity, request: AnyRequest
) -> Template:
    chosen, values, errors = _read(request)
    return await _page(reads, tenant, identity, chosen, values, errors)


def _filename(tenant: Tenant, record: cpd.CpdRecord, ext: str) -> str:
    return f"cpd-record-{tenant.slug}-{record.prepared_on.isoformat()}.{ext}"


async def _download(
    reads: RequestReads, tenant: Tenant, identity: Identity, request: AnyRequest, ext: str
) -> Response[Any] | Template:
    chosen, values, errors = _read(request)
    if errors is not None or chosen is None:
        return await _page(reads, tenant, identity, None, values, errors)
    try:
        record = await _record(reads, tenant, identity, chosen)
    except cpd.NotYours:
        return await _page(reads, tenant, identity, chosen, values, None)
    headers = {
        "Content-Disposition": f'attachment; filename="{_filename(tenant, record, ext)}"',
        "Cache-Control": "no-store",
    }
    if ext == "pdf":
        # ~0.1 s of CPU (fonts parsed, subset, compressed): off the event loop.
        body = await anyio.to_thread.run_sync(cpd.render_pdf, record)
        return Response(body, media_type="application/pdf", headers=headers)
    return Response(cpd.render_csv(record), media_type="text/csv; charset=utf-8", headers=headers)


@get("/cpd.pdf", name="cpd_pdf", opt=rule(MEMBER))
async def cpd_pdf(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity, request: AnyRequest
) -> Response[Any] | Template:
    return await _download(reads, tenant, identity, request, "pdf")


@get("/cpd.csv", name="cpd_csv", opt=rule(MEMBER))
async def cpd_csv(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity, request: AnyRequest
) -> Response[Any] | Template:
    return await _download(reads, tenant, identity, request, "csv")


ROUTES: list[HTTPRouteHandler] = [cpd_page, cpd_pdf, cpd_csv]
