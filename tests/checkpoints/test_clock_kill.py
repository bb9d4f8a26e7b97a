"""A clock SIGKILLed mid-pass loses nothing and sends nothing twice: the tenants it
committed keep their work, the tenant it was in the middle of has nothing half-written,
and the next pass does the rest, each message exactly once (kill_clock.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

from mentorhub.checkpoints.clock import run_pass
from mentorhub.db import Database
from tests.checkpoints.clock_helpers import (
    OPEN,
    clock_passes,
    clock_world,
    items,
    mail_counts,
    messages,
    tasks,
)
from tests.embedded.test_embedded import ROOT

OPENING = Counter({("checkpoint_open", "mentor"): 3, ("checkpoint_open", "mentee"): 3})


async def test_a_clock_killed_mid_pass_loses_nothing(live_db: Database) -> None:
    worlds = sorted([await clock_world(live_db) for _ in range(3)], key=lambda w: w.slug)
    died = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests/checkpoints/kill_clock.py"),
            OPEN.isoformat(),
            ",".join(str(w.id) for w in worlds),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        capture_output=True,
    )
    assert died.returncode == -signal.SIGKILL, died.stderr.decode()

    done, killed, untouched = worlds
    # The first tenant committed: its items opened, its mails and task written, audited.
    assert await mail_counts(live_db, done) == OPENING
    assert len(await clock_passes(live_db, done)) == 1
    # The second died before its COMMIT: nothing of it is left (not even the synced items);
    # the third was never reached.
    for w in (killed, untouched):
        assert await items(live_db, w) == {}
        assert await messages(live_db, w) == []
        assert await tasks(live_db, w) == []
        assert await clock_passes(live_db, w) == []

    # The restarted clock: the rest, once; nothing again for the first tenant.
    again = await run_pass(live_db, as_of=OPEN)
    assert not [f for f in again.failures if f.slug in {w.slug for w in worlds}]
    for w in worlds:
        keys = [m.key for m in await messages(live_db, w)]
        assert len(keys) == len(set(keys)) == 6
        assert await mail_counts(live_db, w) == OPENING
        assert len(await tasks(live_db, w)) == 1
        assert {i.state for i in (await items(live_db, w)).values()} == {"open"}
        assert len(await clock_passes(live_db, w)) == 1
