"""Worker module for benchmarks/redelivery.py: an actor that hangs on its first delivery
(so the benchmark can SIGKILL the worker mid-message) and records its redelivery."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dramatiq
from dramatiq.brokers.redis import RedisBroker

broker = RedisBroker(  # type: ignore[no-untyped-call]
    url=os.environ["REDELIVERY_REDIS_URL"],
    heartbeat_timeout=int(os.environ["REDELIVERY_HEARTBEAT_MS"]),
    maintenance_chance=int(os.environ["REDELIVERY_MAINTENANCE_CHANCE"]),
)
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name="redelivery", max_retries=0)
def hold(marker_dir: str) -> None:
    markers = Path(marker_dir)
    if not (markers / "started").exists():
        (markers / "started").write_text(str(time.time()))
        time.sleep(3600)  # the benchmark kills the worker here
    else:
        (markers / "redelivered").write_text(str(time.time()))
