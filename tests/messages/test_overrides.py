"""A tenant's own wording of messages, end to end: `tenants load` stores it (or refuses a
bad file changing nothing), delivery renders it in the sandbox — member-supplied values
escaped in the HTML part — and a row that reaches past the loader is still refused."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jinja2.exceptions import SecurityError
from sqlalchemy import select

from mentorhub.cli import main
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.kinds import KINDS, get_kind
from mentorhub.messages.models import TemplateOverride
from mentorhub.messages.render import Override
from mentorhub.messages.services import MessageError, renderer
from mentorhub.schemes.messages import MESSAGE_VARIABLES, allowed_variables
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from tests.conftest import Servers, new_slug
from tests.messages.sink import Sink
from tests.messages.test_messages import deliver_all, member, send_one
from tests.support import as_owner

SUBJECT = "Don't forget to send in your {{ title }} by {{ due_on }}"


def alberta_copy(directory: Path, slug: str, *, messages: bool = True, **replace: str) -> None:
    """Alberta Museums Association's file under another slug and hostname."""
    directory.mkdir(exist_ok=True)
    text = (get_settings().tenants_dir / "alberta-museums.toml").read_text(encoding="utf-8")
    text = text.replace('slug = "alberta-museums"', f'slug = "{slug}"')
    text = re.sub(r"^hostnames = .*$", f'hostnames = ["{slug}.example.org"]', text, flags=re.M)
    if not messages:
        text = text[: text.index("[messages.reminder]")]
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    (directory / f"{slug}.toml").write_text(text, encoding="utf-8")


def test_the_scheme_engine_knows_every_kind_with_its_variables() -> None:
    """Tenant files are checked against the scheme engine's list; delivery uses the kinds'
    own. They must be the same, or a valid file could use a variable delivery lacks."""
    assert set(MESSAGE_VARIABLES) == set(KINDS)
    for name, kind in KINDS.items():
        assert allowed_variables(name) == kind.allowed, name


async def test_alberta_reminder_uses_its_own_words_and_escapes_member_values(
    live_db: Database, inbox: Sink, tmp_path: Path
) -> None:
    slug = new_slug()
    alberta_copy(tmp_path, slug)
    async with as_owner(live_db) as owner:
        [tenant] = await load_tenants(owner, tmp_path)
    ada = await member(live_db, tenant, "Ada <script>alert(1)</script>")
    context = {
        "title": "Quarterly Update",
        "due_on": "4 January 2027",
        "link": "https://alberta.example/pairs/1/updates",
        "note": "2–3 paragraphs <b>together</b> & on time",
    }
    await send_one(live_db, tenant, "reminder", context, f"q:{ada.id}", to_member=ada)
    await deliver_all(live_db, tenant)
    [caught] = inbox.to(ada.email)
    email = caught.parsed()

    assert email["Subject"] == "Don't forget to send in your Quarterly Update by 4 January 2027"
    assert email["Reply-To"] == "Alberta Museums Association <learning@museums.ab.ca>"
    assert email["List-Unsubscribe"] is not None  # still a reminder: unsubscribe kept
    text = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hello Ada <script>alert(1)</script>," in text
    assert "Don't forget to send in your Quarterly Update by 4 January 2027!" in text
    assert "only one submission is required for each pair" in text
    assert "2–3 paragraphs <b>together</b> & on time" in text

    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html and "<b>together" not in html
    assert "<p>Hello Ada &lt;script&gt;alert(1)&lt;/script&gt;,</p>" in html
    assert "<p>2–3 paragraphs &lt;b&gt;together&lt;/b&gt; &amp; on time</p>" in html
    assert "Don&#39;t forget to send in your Quarterly Update by 4 January 2027!" in html
    assert "You get this reminder because" in html  # the kind's footer stays


async def test_reloading_replaces_the_wording_of_that_tenant_only(
    live_db: Database, tmp_path: Path
) -> None:
    first, second = new_slug(), new_slug()
    alberta_copy(tmp_path / "both", first)
    alberta_copy(tmp_path / "both", second)
    async with as_owner(live_db) as owner:
        tenants = await load_tenants(owner, tmp_path / "both")
        alberta_copy(tmp_path / "first", first, messages=False)
        # The owner loading tenants bypasses row-level security: only `first` may change.
        await load_tenants(owner, tmp_path / "first")
    stored = {}
    for tenant in tenants:
        async with live_db.tenant(tenant.id) as session:
            rows = (await session.execute(select(TemplateOverride))).scalars().all()
            stored[tenant.slug] = [(row.kind, row.subject) for row in rows]
    assert stored == {first: [], second: [("reminder", SUBJECT)]}


def stored_state(servers: Servers, slug: str) -> tuple[str, list[tuple[str, str | None]]]:
    async def read() -> tuple[str, list[tuple[str, str | None]]]:
        db = Database.connect(servers.app_url, pool_size=1)
        try:
            async with db.platform() as session:
                tenant = (
                    await session.execute(select(Tenant).where(Tenant.slug == slug))
                ).scalar_one()
            async with db.tenant(tenant.id) as session:
                rows = (await session.execute(select(TemplateOverride))).scalars().all()
            return tenant.name, [(row.kind, row.subject) for row in rows]
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_tenants_load_refuses_an_unknown_variable_changing_nothing(
    servers: Servers, tmp_path: Path
) -> None:
    slug = new_slug()
    alberta_copy(tmp_path / "good", slug)
    loaded = CliRunner().invoke(main, ["tenants", "load", str(tmp_path / "good")])
    assert loaded.exit_code == 0, loaded.output
    before = stored_state(servers, slug)
    assert before == ("Alberta Museums Association", [("reminder", SUBJECT)])

    # Renamed, and its reminder's subject names a variable no reminder has.
    alberta_copy(
        tmp_path / "bad",
        slug,
        **{
            'name = "Alberta Museums Association"': 'name = "Renamed"',
            "by {{ due_on }}\"": "by {{ foo }}\"",
        },
    )
    result = CliRunner().invoke(main, ["tenants", "load", str(tmp_path / "bad")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    bad = tmp_path / "bad" / f"{slug}.toml"
    assert result.stderr.startswith(
        f"Error: {bad}: messages.reminder.subject: unknown variable {{{{ foo }}}} (allowed: "
    )
    assert stored_state(servers, slug) == before  # neither the name nor the wording changed


async def reminder_override(live_db: Database, tenant: Tenant, **texts: Any) -> Member:
    async with live_db.tenant(tenant.id) as session:
        session.add(TemplateOverride(tenant_id=tenant.id, kind="reminder", **texts))
    return await member(live_db, tenant)


async def test_a_row_written_past_the_loader_is_still_refused(
    live_db: Database, tmp_path: Path
) -> None:
    slug = new_slug()
    alberta_copy(tmp_path, slug, messages=False)
    async with as_owner(live_db) as owner:
        [tenant] = await load_tenants(owner, tmp_path)
    ada = await reminder_override(live_db, tenant, subject="{{ ''.__class__.__mro__ }}")
    context = {"title": "Quarterly Update", "due_on": "4 January 2027", "link": "https://x/y"}
    with pytest.raises(MessageError, match="reads the attribute"):
        await send_one(live_db, tenant, "reminder", context, f"x:{uuid.uuid4()}", to_member=ada)


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ brand.contact_email }}",  # the branding object is not a declared variable
        "{% for c in title %}{{ c }}{% endfor %}",
    ],
)
def test_rendering_refuses_a_body_beyond_placeholders(body: str) -> None:
    kind = get_kind("reminder")
    values = {
        "title": "T", "due_on": "D", "link": "L", "note": "", "association": "A",
        "scheme_name": "S", "recipient_name": "R", "unsubscribe_url": None,
    }
    with pytest.raises(SecurityError, match="the reminder override is refused"):
        renderer().parts(kind, values, Override(body=body))
