"""A worker factory for the exactly-once test: imports the worker code once, then forks a
fresh worker process (a real `dramatiq.Worker` on the real broker, with the real actors)
each time it reads a line on stdin, and prints the child's pid. The test SIGKILLs children.

Forking from an already-imported parent makes a restart take milliseconds instead of the
seconds a cold `dramatiq workers` start takes, so 100 kills fit in a short run. Nothing is
connected or threaded in the parent before the fork (the broker's Redis client connects
lazily), so each child starts as clean as a new process would.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import dramatiq

import workers
from mentorhub.outbox.relay import QUEUE


def child(threads: int) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    worker = dramatiq.Worker(workers.broker, worker_threads=threads, queues={QUEUE})
    worker.start()
    while True:
        time.sleep(3600)


def main() -> None:
    threads = int(sys.argv[1])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    print("ready", flush=True)
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            sys.stdin.close()
            child(threads)
            os._exit(0)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
