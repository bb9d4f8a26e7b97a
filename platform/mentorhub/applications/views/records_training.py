"""The coordinator's training records: record that a member completed the scheme's
training (`services.record_training`), list and search them, remove one recorded by mistake
(after a confirmation), and import a CSV file with the roster's all-or-nothing rules. Shown
where the scheme has a `[scheme.application].training`; elsewhere the page says why not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from mentorhub.applications import records, services
from mentorhub.applications.records_forms import TrainingForm, TrainingImport, iso_date
from mentorhub.applications.views.records_common import (
    actor,
    back_to,
    context,
    listing,
    notify,
    taken,
    unused,
)
from mentorhub.core.problems import Problem, Problems
from mentorhub.identity.guards import COORDINATOR, rule
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant
from mentorhub.web.forms import FormErrors, read_form, rerender, values_of

PATH = "/coordinator/training"
LIST = "applications/records_training.html"
IMPORT = "applications/records_training_import.html"
REMOVE = "applications/records_training_remove.html"
KIND_WORDS = {
    "joint": "Joint training (mentors and mentees together)",
    "mentor": "Mentor training",
    "mentee": "Mentee training",
}


async def _ctx(request: AnyRequest, db: DB, tenant: Any, identity: Any) -> dict[str, Any]:
    features = await records.features(db, tenant.id)
    ctx = await context(request, tenant, identity, features)
    ctx["kind_words"] = KIND_WORDS
    return ctx


async def _list(
    request: AnyRequest,
    db: DB,
    ctx: dict[str, Any],
    errors: Problems | None = None,
    values: dict[str, Any] | None = None,
    notice: Any = None,
) -> Template:
    query = listing(request)
    page = await records.training_page(db, ctx["tenant"].id, search=query.q, number=query.number)
    shown = {**ctx, "page": page, "q": query.q, "notice": notice}
    errors = errors if errors is not None else query.bad
    if errors is not None:
        return rerender(LIST, shown, errors, values=values)
    return Template(LIST, context=shown)


@get(PATH, name="records_training", opt=rule(COORDINATOR))
async def training(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """The records a page at a time (`?q=` searches names and e-mail addresses), and the
    form that records one."""
    ctx = await _ctx(request, db, tenant, identity)
    if not ctx["features"].training:
        return unused("training", ctx)
    return await _list(request, db, ctx, notice=await taken(aredis, request))


@post(PATH, name="records_training_add", opt=rule(COORDINATOR), status_code=303)
async def training_add(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Redirect | Template:
    """One record: the member by e-mail address, the training, the date. The same record
    sent twice (a double click, a replayed form) is recorded once."""
    ctx = await _ctx(request, db, tenant, identity)
    features: records.Features = ctx["features"]
    if not features.training:
        return unused("training", ctx, status_code=400)
    values: dict[str, Any] = {}
    try:
        form = await read_form(request, TrainingForm)
        values = values_of(form)
        problems: list[Problem] = []
        if form.kind not in features.training_kinds:
            problems.append(
                Problem(path="kind", message="Choose a training the scheme gives, from the list")
            )
        completed_on, bad_date = iso_date(form.completed_on, "completed_on", "Date completed")
        member_id = await records.member_id_by_email(db, tenant.id, form.email)
        if member_id is None:
            problems.append(
                Problem(path="email", message=f"No member has the e-mail address {form.email}")
            )
        if bad_date is not None:
            problems.append(bad_date)
        if problems:
            raise FormErrors(problems, values)
        assert member_id is not None and completed_on is not None
        if not await records.has_training(db, tenant.id, member_id, form.kind, completed_on):
            await services.record_training(
                db,
                tenant.id,
                actor(identity),
                member_id,
                kind=form.kind,
                completed_on=completed_on,
            )
    except FormErrors as errors:
        return await _list(request, db, ctx, errors)
    except Problems as problems:  # the action's own checks (a date in the future)
        return await _list(request, db, ctx, problems, values=values)
    await notify(aredis, request, kind="recorded", email=form.email, training=form.kind)
    return back_to(request, PATH)


@get(f"{PATH}/{{record_id:str}}/remove", name="records_training_remove", opt=rule(COORDINATOR))
async def training_remove_page(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    record_id: FromPath[str],
) -> Template:
    """Ask before removing (what the record says, and that the removal is audited)."""
    ctx = await _ctx(request, db, tenant, identity)
    entry = await records.training_entry(db, tenant.id, record_id)  # NotFound: 404
    return Template(REMOVE, context={**ctx, "entry": entry})


@post(
    f"{PATH}/{{record_id:str}}/remove",
    name="records_training_remove_confirmed",
    opt=rule(COORDINATOR),
    status_code=303,
)
async def training_remove(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
    record_id: FromPath[str],
) -> Redirect:
    """Remove it (audited); the member's applications are evaluated again. A record already
    removed (the form sent twice) is the 404 page: nothing more is removed."""
    removed = await records.remove_training(db, tenant.id, actor(identity), record_id)
    await notify(aredis, request, kind="removed", training=removed.kind)
    return back_to(request, PATH)


@get(f"{PATH}/import", name="records_training_import", opt=rule(COORDINATOR))
async def training_import_page(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, request: AnyRequest
) -> Template:
    ctx = await _ctx(request, db, tenant, identity)
    if not ctx["features"].training:
        return unused("training", ctx)
    return Template(IMPORT, context=ctx)


@post(
    f"{PATH}/import", name="records_training_import_upload", opt=rule(COORDINATOR), status_code=200
)
async def training_import(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, request: AnyRequest
) -> Template:
    """Every line is checked first, and every e-mail matched to a member; any bad line and
    nothing is written (400, each problem with its line, linked to the file field)."""
    ctx = await _ctx(request, db, tenant, identity)
    features: records.Features = ctx["features"]
    if not features.training:
        return unused("training", ctx, status_code=400)
    try:
        upload = await read_form(request, TrainingImport)
    except FormErrors as errors:
        return rerender(IMPORT, ctx, errors)
    report = records.parse_training_csv(
        upload.training, features.training_kinds, datetime.now(UTC).date()
    )
    try:
        if report.problems:
            raise Problems(report.problems)
        imported = await records.import_training(db, tenant.id, actor(identity), report.rows)
    except Problems as problems:
        found = [Problem(path="training", message=str(p)) for p in problems.problems]
        return rerender(IMPORT, {**ctx, "file_problems": len(found)}, FormErrors(found))
    return Template(IMPORT, context={**ctx, "imported": imported})


ROUTES = [
    training,
    training_add,
    training_remove_page,
    training_remove,
    training_import_page,
    training_import,
]
