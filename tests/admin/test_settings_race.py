"""Two settings actions at the same moment, each on its own connection of a committing
database: a save (colours) and a logo upload, both rewriting the tenant's branding JSON.
Each action locks the tenant's profile row first (creating it if absent: the first round
starts with none, so both race to create it), so they run one after the other and the
second reads what the first wrote: after every round the branding holds both the new colour
and the new logo — no lost update, whichever ran first."""

from __future__ import annotations

import asyncio
import hashlib

from sqlalchemy import select

from mentorhub.admin import settings_services as services
from mentorhub.admin.models import TenantProfile
from mentorhub.db import Database
from tests.admin.helpers import png, tenant_now
from tests.admin.test_settings import GOOD
from tests.applications.conftest import make_world
from tests.messages.conftest import live_db  # noqa: F401  (fixture)

COLOURS = ("#0b3d2e", "#1f4e79", "#7c2d12", "#312e81", "#14532d")


async def test_a_save_and_a_logo_upload_at_once_both_hold(live_db: Database) -> None:  # noqa: F811
    db = live_db
    world = await make_world(db, "alberta-museums")
    for round_, colour in enumerate(COLOURS):
        async with db.tenant(world.id) as session:
            lock = (await session.execute(select(TenantProfile.lock_version))).scalar()
        change = services.SettingsChange(
            **{**GOOD, "primary_color": colour, "lock_version": lock or 0}  # type: ignore[arg-type]
        )
        logo = png(100 + round_, 40)
        saved, stored = await asyncio.gather(
            services.save_settings(db, world.id, change, actor="a@example.org", actor_id=None),
            services.upload_logo(db, world.id, logo, actor="a@example.org", actor_id=None),
        )
        assert "primary_color" in saved and stored
        branding = (await tenant_now(db, world.id)).branding
        assert branding["primary_color"] == colour, round_
        assert branding["logo_sha"] == hashlib.sha256(logo).hexdigest(), round_
        assert branding["contact_email"] == GOOD["contact_email"]
