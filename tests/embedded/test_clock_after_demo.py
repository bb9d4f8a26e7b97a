"""The embedded default's clock starts its checkpoints' pass only once the demo has been
filled in (issue 16): the demo makes its pairs' checkpoint history day by day with the
clock's own steps, and a pass at the present reaching those pairs first (a slow first start)
would leave each item one catch-up mail instead of that history. The relay is not held back.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from mentorhub.server import ClockThread
from mentorhub.settings import get_settings


async def _until(condition: Any, stop: asyncio.Event) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def test_the_checkpoints_pass_waits_for_the_demo_then_runs(servers: object) -> None:
    from workers.clock import every_after  # late: `workers` reads REDIS_URL when imported

    ready, stop = threading.Event(), asyncio.Event()
    passes: list[int] = []

    async def tick() -> None:
        passes.append(1)

    running = asyncio.create_task(every_after(ready, 3600, stop, tick))
    for _ in range(30):  # the loop turns many times; the pass never starts
        await asyncio.sleep(0.01)
    assert passes == [] and not running.done()
    # The demo is filled in on another thread (the web's loop): the pass starts.
    threading.Thread(target=ready.set).start()
    await asyncio.wait_for(_until(lambda: passes, stop), timeout=30)
    stop.set()
    await asyncio.wait_for(running, timeout=30)
    assert passes == [1]


async def test_a_clock_stopped_before_the_demo_is_filled_never_runs_the_pass(
    servers: object,
) -> None:
    from workers.clock import after, every_after  # late: as above

    ready, stop = threading.Event(), asyncio.Event()
    passes: list[int] = []

    async def tick() -> None:
        passes.append(1)

    running = asyncio.create_task(every_after(ready, 3600, stop, tick))
    stop.set()
    await asyncio.wait_for(running, timeout=30)
    assert passes == []
    assert await after(ready, stop) is False
    ready.set()
    assert await after(ready, asyncio.Event()) is True


async def test_no_event_runs_the_pass_at_once(servers: object) -> None:
    from workers.clock import every_after  # late: `workers` reads REDIS_URL when imported

    stop = asyncio.Event()
    passes: list[int] = []

    async def tick() -> None:
        passes.append(1)
        stop.set()

    await asyncio.wait_for(every_after(None, 3600, stop, tick), timeout=30)
    assert passes == [1]


def test_the_clock_thread_hands_the_demo_event_to_the_clock() -> None:
    """The embedded default's ClockThread gives the clock hook (workers.runtime.run_clock)
    the event that the demo's end sets; without one, the hook is called as before."""
    given: list[dict[str, Any]] = []

    async def hook(settings: Any, db: Any, stop: asyncio.Event, **kwargs: Any) -> None:
        given.append(kwargs)

    settings = get_settings()
    if settings.app_database_url is None:  # the hook never touches the database
        from dataclasses import replace

        settings = replace(settings, app_database_url="postgresql://nobody@localhost/none")
    filled = threading.Event()
    for thread in (
        ClockThread(hook, settings, checkpoints_after=filled),
        ClockThread(hook, settings),
    ):
        thread.start()
        thread.stop()
    assert given == [{"checkpoints_after": filled}, {}]
