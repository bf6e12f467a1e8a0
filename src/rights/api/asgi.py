"""An ASGI factory for servers other than `rights serve` (granian, uvicorn --factory, gunicorn workers).

    granian --interface asgi --factory rights.api.asgi:create

Settings come from the environment (docs/settings.md), read when the server calls the factory, never at
import. Unlike `rights serve` it neither migrates nor seeds: run `rights db upgrade` first.
"""

from __future__ import annotations

import os

from litestar import Litestar


def create() -> Litestar:
    from rights.api.app import create_app
    from rights.logging import configure_logging
    from rights.settings import load_settings

    settings = load_settings(os.environ)
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
