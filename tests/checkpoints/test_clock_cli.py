"""`mentorhub clock run`: a dry run prints what would go out and keeps nothing, a run does
it, a tenant that fails makes the exit status 1, and a bad date or an unknown tenant is a
clear message with status 2. Run as the operator would: a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner
from sqlalchemy import update

from mentorhub.cli import main
from mentorhub.db import Database
from mentorhub.identity.models import Member
from tests.checkpoints.clock_helpers import OPEN, clock_world, items, messages
from tests.embedded.test_embedded import ROOT


def clock(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mentorhub.cli", "clock", "run", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_a_bad_date_is_refused_with_status_2() -> None:
    result = CliRunner().invoke(main, ["clock", "run", "--as-of", "2027-13-01"])
    assert result.exit_code == 2
    assert "'2027-13-01' is not a date (YYYY-MM-DD)" in result.output


async def test_an_unknown_tenant_is_refused_with_status_2(live_db: Database) -> None:
    done = clock("--tenant", "no-such-association", "--as-of", OPEN.isoformat())
    assert done.returncode == 2, done.stderr
    assert "no tenant has the slug 'no-such-association'" in done.stderr
    assert done.stdout == ""


async def test_a_dry_run_prints_the_mails_and_keeps_nothing(live_db: Database) -> None:
    w = await clock_world(live_db)
    dry = clock("--tenant", w.slug, "--as-of", OPEN.isoformat(), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0].startswith(f"{w.slug} at 2027-02-08T09:00+00:00: synced 1, opened 5, ")
    assert lines[0].endswith("(dry run: nothing kept)")
    mails = [line for line in lines[1:] if line.startswith("  checkpoint_open  to ")]
    assert len(mails) == len(lines) - 1 == 6
    assert (
        f"  checkpoint_open  to {w.mentee.email}  Now open: Survey, due on Monday 15 "
        "February 2027" in lines
    )
    assert await messages(live_db, w) == []
    assert await items(live_db, w) == {}

    real = clock("--tenant", w.slug, "--as-of", OPEN.isoformat())
    assert real.returncode == 0, real.stderr
    assert "opened 5" in real.stdout and "mails 6" in real.stdout
    assert "checkpoint_open  to" not in real.stdout
    written = await messages(live_db, w)
    assert len(written) == 6
    assert {(m.kind, m.to_address, m.subject) for m in written} == {
        tuple(line.strip().replace("to ", "", 1).split("  ", 2)) for line in mails
    }


async def test_a_failing_tenant_makes_the_status_1(live_db: Database) -> None:
    w = await clock_world(live_db)
    async with live_db.tenant(w.id) as session:
        await session.execute(
            update(Member).where(Member.id == w.mentor.id).values(email="not an address")
        )
    done = clock("--tenant", w.slug, "--as-of", OPEN.isoformat())
    assert done.returncode == 1
    assert f"{w.slug}: FAILED (MessageError:" in done.stderr
    assert "its changes were rolled back" in done.stderr
    assert await messages(live_db, w) == []
