"""The scheme form, pure (fields ↔ document, problem paths → fields, the diff, the tenant
file, the signed proposal), and the action that stores a version from the console, on the
real database: a failing edit stores nothing; a passing one stores current + 1 and running
pairs keep their version and their checkpoint items; a stale base and a changed proposal
are refused; the loader keeps a console version over an older file at the next start."""

from __future__ import annotations

import logging
import tomllib
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from mentorhub.admin import scheme_edit as se
from mentorhub.admin.services import StaleScheme, store_scheme_version
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.pairs.models import Pair
from mentorhub.schemes.errors import SchemeError
from mentorhub.schemes.loader import load_tenant_file, parse_tenant_file, scheme_document
from mentorhub.schemes.models import SchemeVersion
from mentorhub.schemes.services import current_scheme, store_version
from mentorhub.schemes.validate import parse_scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from tests.messages.conftest import live_db  # noqa: F401  (fixture)
from tests.support import as_owner

TENANT_FILES = sorted(Path(get_settings().tenants_dir).glob("*.toml"))
SLUGS = [p.stem for p in TENANT_FILES]


def reference(slug: str) -> tuple[dict[str, Any], dict[str, dict[str, str]], Any]:
    f = load_tenant_file(get_settings().tenants_dir / f"{slug}.toml")
    return scheme_document(f.scheme), se.messages_of(f.messages), f


# --- pure: the form ---------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_the_form_as_shown_and_sent_back_unchanged_is_the_same_document(slug: str) -> None:
    doc, messages, f = reference(slug)
    values = se.form_values(doc, messages)
    new_doc, new_messages, problems = se.apply_form(doc, messages, values)
    assert problems == []
    assert se.diff(doc, new_doc, messages, new_messages) == []
    assert parse_scheme(new_doc, "form") == f.scheme
    # Every field's id is unique and every key path names a rule the document has.
    keys = [fl.key for g in se.form_groups(doc) for fl in g.fields]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("slug", SLUGS)
def test_the_form_shows_the_common_rules(slug: str) -> None:
    doc, messages, _ = reference(slug)
    values = se.form_values(doc, messages)
    for i, c in enumerate(doc["checkpoints"]):
        assert values[f"checkpoints.{i}.window_days_before"] == str(c["window_days_before"])
        assert values[f"checkpoints.{i}.title"] == c["title"]
    for i, c in enumerate(doc["matching"]["criteria"]):
        assert float(values[f"matching.criteria.{i}.weight"]) == c["weight"]
    for kind, entry in messages.items():
        for part, words in entry.items():
            assert values[f"messages.{kind}.{part}"] == words


window = st.integers(min_value=0, max_value=400)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    slug=st.sampled_from(SLUGS),
    data=st.data(),
)
def test_an_edited_field_lands_at_its_key_path_and_nowhere_else(slug: str, data: Any) -> None:
    doc, messages, _ = reference(slug)
    fields = [f for g in se.form_groups(doc) for f in g.fields if f.kind in ("int", "float")]
    chosen = data.draw(st.sampled_from(fields))
    number = data.draw(window)
    posted = se.form_values(doc, messages)
    posted[chosen.key] = str(number)
    new_doc, new_messages, problems = se.apply_form(doc, messages, posted)
    assert problems == []
    changes = se.diff(doc, new_doc, messages, new_messages)
    old = se._get(doc, chosen.path)
    if old == number:
        assert changes == []
    else:
        assert len(changes) == 1 and changes[0].kind == "changed"
        assert changes[0].new == str(number)
    assert se._get(new_doc, chosen.path) == number


def test_values_that_are_not_numbers_are_the_forms_own_problems() -> None:
    doc, messages, _ = reference("ahep")
    posted = se.form_values(doc, messages)
    posted["checkpoints.0.window_days_before"] = "two weeks"
    posted["matching.criteria.0.weight"] = "1e9999"
    posted["checkpoints.1.title"] = "Review\x00"
    _, _, problems = se.apply_form(doc, messages, posted)
    assert {p.path for p in problems} == {
        "checkpoints.0.window_days_before",
        "matching.criteria.0.weight",
        "checkpoints.1.title",
    }


def test_options_are_one_per_line_and_wording_blank_is_the_products_own() -> None:
    doc, messages, _ = reference("museums-association")
    groups = se.form_groups(doc)
    options = next(f for g in groups for f in g.fields if f.kind == "lines")
    posted = se.form_values(doc, messages)
    posted[options.key] = "First\n\n  Second  \nThird"
    kind = next(iter(messages)) if messages else "reminder"
    posted[f"messages.{kind}.subject"] = ""
    posted[f"messages.{kind}.body"] = ""
    posted["messages.match_made.subject"] = "You have a mentor, {{ recipient_name }}"
    new_doc, new_messages, problems = se.apply_form(doc, messages, posted)
    assert problems == []
    assert se._get(new_doc, options.path) == ["First", "Second", "Third"]
    assert kind not in new_messages or kind == "match_made"
    assert new_messages["match_made"]["subject"] == "You have a mentor, {{ recipient_name }}"


def test_an_unticked_required_box_makes_the_question_optional() -> None:
    doc, messages, _ = reference("ahep")
    posted = se.form_values(doc, messages)
    required = next(
        f for g in se.form_groups(doc) for f in g.fields if f.kind == "bool" and posted[f.key]
    )
    del posted[required.key]
    new_doc, _, _ = se.apply_form(doc, messages, posted)
    assert se._get(new_doc, required.path) is False


@pytest.mark.parametrize(
    ("problem", "field"),
    [
        ("scheme.checkpoints[2].window_days_after", "checkpoints.2.window_days_after"),
        ("scheme.checkpoints[1].when.anchor", "checkpoints.1"),
        ("scheme.meetings.session_minutes", "meetings"),
        ("scheme.meetings.session_minutes.min", "meetings.session_minutes.min"),
        ("scheme.matching.criteria[0].weight", "matching.criteria.0.weight"),
        ("scheme.matching.criteria[0].order", "matching"),
        ("messages.reminder.subject", "messages.reminder.subject"),
        ("scheme.eligibility.open_to", ""),
    ],
)
def test_a_problem_is_shown_at_its_field_or_nearest_section(problem: str, field: str) -> None:
    doc, _, _ = reference("ahep")
    assert se.field_for(problem, doc) == field


def test_the_engine_checks_the_form_and_names_paths_the_form_maps_back() -> None:
    doc, messages, _ = reference("ahep")
    posted = se.form_values(doc, messages)
    posted["meetings.session_minutes.min"] = "120"  # longer than the longest (90)
    new_doc, _, problems = se.apply_form(doc, messages, posted)
    assert problems == []
    with pytest.raises(SchemeError) as caught:
        parse_scheme(new_doc, "form")
    fields = {se.field_for(p.path, doc) for p in caught.value.problems}
    assert fields & {"meetings", "meetings.session_minutes.min", "meetings.session_minutes.max"}


# --- pure: the diff ---------------------------------------------------------------------------


def test_the_diff_names_changed_added_and_removed_rules_by_id() -> None:
    doc, messages, _ = reference("ahep")
    new = msgspec.json.decode(msgspec.json.encode(doc))
    new["checkpoints"][1]["window_days_after"] = 21
    removed = new["checkpoints"].pop(0)
    new["summary"] = "Changed"
    new["meetings"]["contact_hours"] = {"min": 6.0, "max": None}
    changes = {c.path: c for c in se.diff(doc, new, messages, messages)}
    moved = f"checkpoints[{doc['checkpoints'][1]['id']}].window_days_after"
    assert changes[moved].kind == "changed" and (changes[moved].old, changes[moved].new) == (
        "14",
        "21",
    )
    title = doc["checkpoints"][1]["title"]
    assert changes[moved].label == f"Checkpoint: {title} › On time until (days after it is due)"
    assert changes["meetings.contact_hours.min"].label == "Least contact time in all (hours)"
    assert changes["summary"].label == "summary"
    assert changes[f"checkpoints[{removed['id']}].title"].kind == "removed"
    assert changes["summary"].kind == "changed"
    assert changes["meetings.contact_hours.min"].kind == "added"
    assert "version" not in changes


json_leaf = st.one_of(
    st.integers(-5, 5),
    st.booleans(),
    st.text(max_size=5),
    st.lists(st.text(max_size=3), max_size=3),
)
docs = st.recursive(
    json_leaf,
    lambda children: st.dictionaries(st.sampled_from(["a", "b", "c", "id"]), children, max_size=3),
    max_leaves=12,
).filter(lambda d: isinstance(d, dict))


@settings(max_examples=200, deadline=None)
@given(docs, docs)
def test_the_diff_is_empty_exactly_when_the_documents_agree(a: Any, b: Any) -> None:
    assert (se.diff(a, b) == []) == (se.diff(b, a) == [])
    assert se.diff(a, a) == []
    kinds = {c.path: c.kind for c in se.diff(a, b)}
    flipped = {c.path: c.kind for c in se.diff(b, a)}
    swap = {"added": "removed", "removed": "added", "changed": "changed"}
    assert flipped == {p: swap[k] for p, k in kinds.items()}


def test_the_impact_says_nothing_changes_for_running_pairs() -> None:
    assert se.impact({4: 12}, 4) == (
        "Nothing for existing pairs — 12 pairs stay on version 4. "
        "Pairs matched from now on start on version 5."
    )
    assert "1 pair stays on version 4" in se.impact({4: 1}, 4)
    assert "(3 on version 4, 2 on version 3)" in se.impact({3: 2, 4: 3}, 4)
    assert "there are none yet" in se.impact({}, 4)


# --- pure: the tenant file and the proposal ----------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_the_downloaded_file_reads_back_as_the_same_scheme_and_wording(slug: str) -> None:
    doc, messages, f = reference(slug)
    tenant = msgspec.to_builtins(f.tenant)
    back = parse_tenant_file(tomllib.loads(se.tenant_toml(tenant, doc, messages)), "x")
    assert back.scheme == f.scheme
    assert back.messages == f.messages
    assert back.tenant == f.tenant


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_any_text_survives_the_tenant_file(summary: str, key: str) -> None:
    doc = {"version": 1, "summary": summary, "x": {key or "k": [summary, 1, 1.5, True]}}
    read = tomllib.loads(se.tenant_toml({"slug": "s"}, doc, {}))
    assert read["scheme"] == doc


def test_a_proposal_opens_only_unchanged_and_for_its_tenant() -> None:
    doc, messages, _ = reference("ahep")
    tenant = uuid.uuid4()
    sealed = se.seal_proposal("secret", tenant, se.Proposal(4, doc, messages, "the form"))
    opened = se.open_proposal("secret", tenant, sealed)
    assert opened is not None and opened.document == doc and opened.base_version == 4
    assert se.open_proposal("secret", uuid.uuid4(), sealed) is None
    assert se.open_proposal("other secret", tenant, sealed) is None
    blob, mac = sealed.rsplit(".", 1)
    flipped = blob[:-5] + ("A" if blob[-5] != "A" else "B") + blob[-4:]
    assert se.open_proposal("secret", tenant, f"{flipped}.{mac}") is None
    assert se.open_proposal("secret", tenant, "not a proposal") is None
    assert se.open_proposal("secret", tenant, "é.é") is None


# --- the action, on the database --------------------------------------------------------------


async def snapshot(db: Database, tenant: Tenant) -> dict[str, Any]:
    async with db.tenant(tenant.id) as s:
        return {
            "versions": (
                await s.execute(select(SchemeVersion.version).order_by(SchemeVersion.version))
            )
            .scalars()
            .all(),
            "templates": (
                await s.execute(
                    text("SELECT kind, subject, body FROM message_templates ORDER BY kind")
                )
            ).all(),
            "audit": (await s.execute(select(func.count()).select_from(AuditEntry))).scalar_one(),
            "pairs": (
                await s.execute(select(Pair.id, Pair.scheme_version).order_by(Pair.id))
            ).all(),
            "items": (
                await s.execute(
                    select(
                        CheckpointItem.id,
                        CheckpointItem.checkpoint,
                        CheckpointItem.scheme_version,
                        CheckpointItem.opens_on,
                        CheckpointItem.due_on,
                        CheckpointItem.closes_on,
                        CheckpointItem.state,
                    ).order_by(CheckpointItem.id)
                )
            ).all(),
        }


@pytest.fixture
async def world(db: Database) -> Any:
    from tests.checkpoints.member_helpers import member_world

    return await member_world(db)


async def test_a_failing_edit_stores_nothing(db: Database, world: Any) -> None:
    tenant = world.pw.world.tenant
    before = await snapshot(db, tenant)
    current = await current_scheme_doc(db, tenant)
    bad = dict(current)
    bad["meetings"] = {**bad["meetings"], "session_minutes": {"min": 120, "max": 60}}
    v = current["version"]
    with pytest.raises(SchemeError):
        await store_scheme_version(
            db,
            tenant.id,
            None,
            "admin@example.org",
            bad,
            "the form",
            "",
            base_version=v,
            messages={"reminder": {"subject": "{{ nope }}"}},
        )
    with pytest.raises(SchemeError):  # the wording is checked too
        await store_scheme_version(
            db,
            tenant.id,
            None,
            "admin@example.org",
            current,
            "the form",
            "",
            base_version=v,
            messages={"reminder": {"subject": "{{ ''.__class__ }}"}},
        )
    assert await snapshot(db, tenant) == before


async def current_scheme_doc(db: Database, tenant: Tenant) -> dict[str, Any]:
    async with db.tenant(tenant.id) as s:
        scheme = await current_scheme(s)
    assert scheme is not None
    return scheme_document(scheme)


async def test_a_passing_edit_stores_the_next_version_and_pairs_keep_theirs(
    db: Database, world: Any
) -> None:
    tenant = world.pw.world.tenant
    from tests.checkpoints.member_helpers import add_item

    doc = await current_scheme_doc(db, tenant)
    v = doc["version"]
    await add_item(db, world, world.scheme.checkpoints[0].id)
    async with db.tenant(tenant.id) as s:  # the pairs started under the version before
        await s.execute(text("UPDATE pairs SET scheme_version = :v"), {"v": v})
    before = await snapshot(db, tenant)
    assert {pv for _, pv in before["pairs"]} == {v} and before["pairs"] and before["items"]
    new = msgspec.json.decode(msgspec.json.encode(doc))
    new["checkpoints"][0]["window_days_after"] += 3
    new["version"] = 99  # the server numbers versions
    changes = se.diff(doc, new, {}, {"reminder": {"subject": "Due: {{ title }}"}})
    version = await store_scheme_version(
        db,
        tenant.id,
        world.pw.world.admin.id,
        world.pw.world.admin.email,
        new,
        "the form",
        "Longer window",
        base_version=v,
        messages={"reminder": {"subject": "Due: {{ title }}"}},
        changes=changes,
    )
    assert version == v + 1
    after = await snapshot(db, tenant)
    assert after["versions"] == [*before["versions"], v + 1]
    assert after["pairs"] == before["pairs"]  # every pair still on version v
    assert after["items"] == before["items"]  # and its checkpoint items untouched
    assert after["templates"] == [("reminder", "Due: {{ title }}", None)]
    async with db.tenant(tenant.id) as s:
        row = (
            await s.execute(select(SchemeVersion).where(SchemeVersion.version == v + 1))
        ).scalar_one()
        entry = (
            await s.execute(select(AuditEntry).where(AuditEntry.action == "scheme.version_stored"))
        ).scalar_one()
        stored = await current_scheme(s)
    assert row.created_by == world.pw.world.admin.email and row.summary == "Longer window"
    assert stored is not None and stored.version == v + 1
    assert stored.checkpoints[0].window_days_after == doc["checkpoints"][0]["window_days_after"] + 3
    assert entry.actor == world.pw.world.admin.email
    assert entry.details["version"] == v + 1 and entry.details["base_version"] == v
    assert any("window_days_after" in c for c in entry.details["changes"])


async def test_a_stale_base_is_refused(db: Database, world: Any) -> None:
    tenant = world.pw.world.tenant
    doc = await current_scheme_doc(db, tenant)
    v = doc["version"]
    first = {**doc, "summary": "First edit"}
    await store_scheme_version(
        db, tenant.id, None, "a@example.org", first, "the form", "", base_version=v, messages={}
    )
    before = await snapshot(db, tenant)
    second = {**doc, "summary": "Second edit, made from version 4 too"}
    with pytest.raises(StaleScheme) as caught:
        await store_scheme_version(
            db,
            tenant.id,
            None,
            "b@example.org",
            second,
            "the form",
            "",
            base_version=v,
            messages={},
        )
    assert caught.value.current == v + 1
    assert await snapshot(db, tenant) == before


# --- the loader rule --------------------------------------------------------------------------


async def test_loading_keeps_a_console_version_and_its_wording(
    db: Database, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    tenants_dir = get_settings().tenants_dir
    async with as_owner(db):
        tenants = await load_tenants(db, tenants_dir)
    ahep = next(t for t in tenants if t.slug == "ahep")
    doc = await current_scheme_doc(db, ahep)
    await store_scheme_version(
        db,
        ahep.id,
        None,
        "admin@ahep.example",
        {**doc, "summary": "From the console"},
        "the form",
        "Summary",
        base_version=doc["version"],
        messages={"reminder": {"subject": "Console wording: {{ title }}"}},
    )
    before = await snapshot(db, ahep)
    caplog.set_level(logging.INFO, logger="mentorhub.tenancy.loading")
    async with as_owner(db):
        await load_tenants(db, tenants_dir)  # the next start
    assert await snapshot(db, ahep) == before
    assert (
        sum("keeping scheme version 5 stored from the console" in r.message for r in caplog.records)
        == 1
    )
    # A file with a newer number is stored as before, its wording with it.
    newer = tmp_path / "tenants"
    newer.mkdir()
    for path in TENANT_FILES:
        source = path.read_text(encoding="utf-8")
        if path.stem == "ahep":
            source = source.replace("\nversion = 4\n", "\nversion = 6\n", 1)
        (newer / path.name).write_text(source, encoding="utf-8")
    async with as_owner(db):
        await load_tenants(db, newer)
    after = await snapshot(db, ahep)
    assert after["versions"] == [4, 5, 6]
    assert ("reminder", "Console wording: {{ title }}", None) not in after["templates"]


async def test_two_confirmations_racing_store_one_version(live_db: Database) -> None:  # noqa: F811
    """Two admins confirm proposals made against the same version at the same moment, on
    separate connections that commit: one stores the next version, the other is stale."""
    import asyncio

    from tests.foundation.helpers import make_tenant

    tenant = await make_tenant(live_db)
    doc, _messages, f = reference("ahep")
    async with live_db.tenant(tenant.id) as s:
        await store_version(s, f.scheme, "ahep.toml")
    v = doc["version"]

    async def confirm(who: str) -> int | str:
        try:
            return await store_scheme_version(
                live_db,
                tenant.id,
                None,
                f"{who}@example.org",
                {**doc, "summary": f"Edited by {who}"},
                "the form",
                who,
                base_version=v,
                messages={},
            )
        except StaleScheme:
            return "stale"

    results = await asyncio.gather(confirm("ann"), confirm("bob"))
    assert sorted(results, key=str) == sorted([v + 1, "stale"], key=str)
    async with live_db.tenant(tenant.id) as s:
        rows = (await s.execute(select(SchemeVersion.version, SchemeVersion.created_by))).all()
        entries = (
            await s.execute(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "scheme.version_stored")
            )
        ).scalar_one()
    assert sorted(r.version for r in rows) == [v, v + 1]
    assert entries == 1


# --- questions removed and added --------------------------------------------------------------


def _plain_question(doc: dict[str, Any], role: str) -> int:
    """A question of `role`'s form nothing else reads (no feeds, exclusion or approver)."""
    questions = doc["forms"][role]["questions"]
    return next(
        i
        for i, q in enumerate(questions)
        if not q.get("feeds") and not q.get("excludes") and not q.get("approver")
    )


def test_a_question_is_removed_and_one_added_and_the_engine_agrees() -> None:
    doc, messages, _ = reference("ahep")
    i = _plain_question(doc, "mentor")
    gone = doc["forms"]["mentor"]["questions"][i]
    posted = se.form_values(doc, messages)
    posted[f"forms.mentor.questions.{i}._remove"] = "yes"
    posted["forms.mentor.questions.new.id"] = "pronouns"
    posted["forms.mentor.questions.new.kind"] = "single_choice"
    posted["forms.mentor.questions.new.label"] = "Your pronouns"
    posted["forms.mentor.questions.new.options"] = "she/her\nhe/him\nthey/them"
    new_doc, new_messages, problems = se.apply_form(doc, messages, posted)
    assert problems == []
    scheme = parse_scheme(new_doc, "form")
    assert scheme.forms.mentor is not None
    ids = [q.id for q in scheme.forms.mentor.questions]
    assert gone["id"] not in ids and ids[-1] == "pronouns"
    assert scheme.forms.mentor.questions[-1].options == ("she/her", "he/him", "they/them")
    kinds = {c.path: c.kind for c in se.diff(doc, new_doc, messages, new_messages)}
    assert kinds[f"forms.mentor.questions[{gone['id']}].label"] == "removed"
    assert kinds["forms.mentor.questions[pronouns].label"] == "added"


def test_no_identifier_adds_no_question_whatever_else_is_filled() -> None:
    doc, messages, _ = reference("ahep")
    posted = se.form_values(doc, messages)
    posted["forms.mentee.questions.new.label"] = "Half a question"
    new_doc, _, problems = se.apply_form(doc, messages, posted)
    assert problems == [] and new_doc == doc


def test_problems_of_moved_and_added_questions_reach_their_fields() -> None:
    doc, messages, _ = reference("ahep")
    i = _plain_question(doc, "mentor")
    n = len(doc["forms"]["mentor"]["questions"])
    posted = se.form_values(doc, messages)
    posted[f"forms.mentor.questions.{i}._remove"] = "yes"
    posted["forms.mentor.questions.new.id"] = "Not An Id"
    posted["forms.mentor.questions.new.kind"] = "text"
    new_doc, _, problems = se.apply_form(doc, messages, posted)
    assert problems == []
    with pytest.raises(SchemeError) as caught:
        parse_scheme(new_doc, "form")
    fields = {se.field_for(p.path, doc, posted) for p in caught.value.problems}
    assert "forms.mentor.questions.new.id" in fields
    # The question after the removed one moved up one place: named by its old place.
    if i + 1 < n:
        moved = f"scheme.forms.mentor.questions[{i}].label"
        assert se.field_for(moved, doc, posted) == f"forms.mentor.questions.{i + 1}.label"


def test_a_new_questions_kind_must_be_one_of_the_list() -> None:
    doc, messages, _ = reference("ahep")
    posted = se.form_values(doc, messages)
    posted["forms.mentee.questions.new.id"] = "extra"
    posted["forms.mentee.questions.new.kind"] = "likert"
    _, _, problems = se.apply_form(doc, messages, posted)
    assert [p.path for p in problems] == ["forms.mentee.questions.new.kind"]
