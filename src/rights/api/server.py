"""The production server behind `rights serve`: granian, one worker process per core unless told otherwise.

granian measured best on this kind of machine (docs/performance.md, "The server"), so development, the
image and the manifests all run it through `rights serve`. Each worker imports the ASGI factory
(`rights.api.asgi:create`) and reads its settings from the environment, so the command line's overrides
travel to the workers as the variables they stand for. Each worker builds (or restores from
``RIGHTS_INDEX_SNAPSHOT``) its own decision index.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rights.settings import Settings

if TYPE_CHECKING:
    from litestar import Litestar

FACTORY = "rights.api.server:worker_app"
_PR_SET_PDEATHSIG = 1
_VARIABLES = {"host": "RIGHTS_HOST", "port": "RIGHTS_PORT", "workers": "RIGHTS_WORKERS"}
# granian's own lines go through our logging pipeline (stderr, JSON off a terminal) instead of stdout;
# its access log stays off: our middleware logs each request once, scrubbed.
_GRANIAN_LOGGING = {
    "formatters": {},
    "handlers": {},
    "loggers": {
        "_granian": {"handlers": [], "propagate": True},
        "granian.access": {"handlers": [], "propagate": False},
    },
}


def worker_count(settings: Settings) -> int:
    """``settings.workers``, or one per core this process may run on; one on SQLite unless asked.

    On SQLite (the embedded development database) another worker sees a write only at its next poll of
    the change log, so a revoke followed at once by a check could be answered by a worker that has not
    seen it yet; PostgreSQL pushes every commit to every worker (LISTEN/NOTIFY)."""
    if settings.workers:
        return settings.workers
    if settings.database.startswith("sqlite"):
        return 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_app() -> Litestar:
    """The app of one worker: `rights.api.asgi:create`, in a process that ends when `rights serve` does.

    A SIGKILLed `rights serve` (an OOM kill, a test's crash) would otherwise leave its workers serving
    the port with nobody to stop them: Linux sends each worker SIGTERM when its parent dies.
    """
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    from rights.api.asgi import create

    return create()


def run_server(settings: Settings, overrides: Mapping[str, object] | None = None) -> None:
    """Serve until SIGTERM or SIGINT (granian stops its workers gracefully, running the app's shutdown)."""
    from granian import Granian
    from granian.constants import Interfaces

    for field, value in (overrides or {}).items():
        if value is not None:
            os.environ[_VARIABLES[field]] = str(value)
    Granian(
        FACTORY,
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=worker_count(settings),
        log_dictconfig=_GRANIAN_LOGGING,
        log_access=False,
    ).serve()
