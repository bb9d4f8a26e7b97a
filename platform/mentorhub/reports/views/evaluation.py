"""The cohort's evaluation report (issue 17, point 2):

* `GET /coordinator/reports` [reports]: the cohorts the coordinator runs, each with its
  number of pairs and a link to its report.
* `GET /coordinator/reports/{cohort_id}` [report]: the page — sections with figures, tables
  and SVG charts (`reports.charts`), the change from baseline to final, quotes shared with
  permission; small groups suppressed (`reports.aggregate`).
* `GET .../report.csv` [report_csv], `.../report.xlsx` [report_xlsx], `.../report.pdf`
  [report_pdf]: the same report as downloads (`reports.exports`).
* `GET .../responses.csv` [report_responses_csv]: every structured answer, one row each,
  under a pseudonym, streamed over a server-side cursor; refused (403, a page saying why)
  when fewer people than the minimum group size sent anything in.

Who: `rule(COORDINATOR)` like every coordinator page; the report holds what checkpoint
answers say (aggregated, and quoted where permitted), which DESIGN.md gives the coordinator
and not the tenant admin, so a tenant admin who is not a coordinator gets "not found", as
on the coordinator's checkpoint pages. A cohort outside the coordinator's scope
(`admin.scope`) or of another tenant: "not found" too.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

from litestar import get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Response, Stream, Template
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.admin.scope import cohorts_in_scope, in_scope
from mentorhub.applications.views.coordinator_common import page_context, zone_of
from mentorhub.checkpoints.queries_coordinator import viewer
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.guards import COORDINATOR, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AppSettings, secret_key
from mentorhub.reports import charts
from mentorhub.reports.aggregate import MIN_GROUP
from mentorhub.reports.evaluation import (
    RESPONSE_HEADER,
    Report,
    build_report,
    cohort_respondents,
    cohort_rows,
    report_head,
    response_rows,
)
from mentorhub.reports.exports import csv_stream, render_csv, render_pdf, render_xlsx
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads

PAGE = "/coordinator/reports/{cohort_id:uuid}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today(tenant: Tenant) -> date:
    return datetime.now(UTC).astimezone(zone_of(tenant)).date()


async def _check_scope(session: AsyncSession, identity: Identity, cohort_id: uuid.UUID) -> None:
    """NotFound unless the signed-in coordinator's scope holds the cohort."""
    assert identity.member_id is not None
    me = await viewer(session, identity.member_id)
    if not in_scope(await cohorts_in_scope(session, me.id), cohort_id):
        raise NotFound("cohort")


async def _report(
    tenant: Tenant, reads: Database, identity: Identity, cohort_id: uuid.UUID
) -> Report:
    """The report, for a coordinator whose scope holds the cohort (else NotFound)."""
    async with reads.tenant(tenant.id) as session:
        await _check_scope(session, identity, cohort_id)
        return await build_report(session, cohort_id, today=_today(tenant))


def _filename(report: Report, ext: str) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in report.cohort_name.lower()).strip("-")
    return f"evaluation-{safe or 'cohort'}-{report.today.isoformat()}.{ext}"


def _attachment(filename: str) -> dict[str, str]:
    """The headers of a download: saved under `filename`, never sniffed or cached."""
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


@get("/coordinator/reports", name="reports", opt=rule(COORDINATOR))
async def reports_index(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity
) -> Template:
    """The cohorts in the coordinator's scope, each a link to its report."""
    assert identity.member_id is not None
    async with reads.tenant(tenant.id) as session:
        me = await viewer(session, identity.member_id)
        cohorts = await cohort_rows(session, await cohorts_in_scope(session, me.id))
    context = page_context(tenant, identity, cohorts=cohorts, min_group=MIN_GROUP)
    return Template("reports/report_index.html", context=context)


@get(PAGE, name="report", opt=rule(COORDINATOR))
async def report_page(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    cohort_id: FromPath[uuid.UUID],
) -> Template:
    """The report page (see the module)."""
    report = await _report(tenant, reads, identity, cohort_id)
    context = page_context(
        tenant,
        identity,
        report=report,
        bar_chart=charts.bar_chart,
        grid_chart=charts.grid_chart,
        rise_chart=charts.rise_chart,
        blocks=charts.blocks,
        top_words=charts.top_words,
        downloads=f"/coordinator/reports/{cohort_id}",
    )
    return Template("reports/report.html", context=context)


def _download_route(
    ext: str, media_type: str, render: Callable[[Report], bytes | str]
) -> HTTPRouteHandler:
    """`GET .../report.<ext>` [report_<ext>]: the report rendered by `render`, as a file."""

    @get(f"{PAGE}/report.{ext}", name=f"report_{ext}", opt=rule(COORDINATOR))
    async def download(
        tenant: CurrentTenant,
        reads: TenantReads,
        identity: CurrentIdentity,
        cohort_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        report = await _report(tenant, reads, identity, cohort_id)
        body = render(report)
        return Response(body, media_type=media_type, headers=_attachment(_filename(report, ext)))

    return download


report_csv = _download_route("csv", "text/csv; charset=utf-8", render_csv)
report_xlsx = _download_route("xlsx", XLSX, render_xlsx)
report_pdf = _download_route("pdf", "application/pdf", render_pdf)


async def _lines(
    db: Database, tenant_id: uuid.UUID, cohort_id: uuid.UUID, secret: bytes
) -> AsyncIterator[bytes]:
    """The responses CSV, streamed from its own read-only transaction (the request's ends
    when the answer starts)."""
    async with db.tenant(tenant_id, read_only=True) as session:
        rows = response_rows(session, cohort_id, secret=secret)
        async for chunk in csv_stream(RESPONSE_HEADER, rows):
            yield chunk


@get(f"{PAGE}/responses.csv", name="report_responses_csv", opt=rule(COORDINATOR))
async def report_responses_csv(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    settings: AppSettings,
    cohort_id: FromPath[uuid.UUID],
) -> Stream | Template:
    """Every answer, one row each (see the module); refused below the minimum group size."""
    async with reads.tenant(tenant.id) as session:
        await _check_scope(session, identity, cohort_id)
        report = await report_head(session, cohort_id, today=_today(tenant))
        respondents = await cohort_respondents(session, cohort_id)
    if respondents < MIN_GROUP:
        return Template(
            "reports/report_refused.html",
            context=page_context(tenant, identity, report=report, min_group=MIN_GROUP),
            status_code=403,
        )
    secret = secret_key(settings).encode()
    return Stream(
        _lines(db, tenant.id, cohort_id, secret),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(_filename(report, "responses.csv")),
    )


ROUTES: list[HTTPRouteHandler] = [
    reports_index,
    report_page,
    report_csv,
    report_xlsx,
    report_pdf,
    report_responses_csv,
]
