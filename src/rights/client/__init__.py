"""The server package's side of the Python client: the local decision cache, and a re-export of the light
client (the `rights-client` distribution under clients/python/, package :mod:`rights_client`).

The client itself needs only httpx and msgspec and is installed on its own; the cache lives here because
it replays the change feed into the server's own :class:`rights.domain.index.DecisionIndex`, so it
answers exactly as the server does (docs/client.md).
"""

try:
    import rights_client  # noqa: F401 - the light client this cache feeds from
except ModuleNotFoundError as exc:  # the server image installs only the service
    raise ModuleNotFoundError(
        "rights.client (the local decision cache) needs the light client: pip install clients/python"
    ) from exc

from rights_client import (  # noqa: E402 - after the check above, so a missing client is said plainly
    AsyncRightsClient,
    BatchAnswer,
    Catalogue,
    Change,
    ChangePage,
    CheckAnswer,
    Retry,
    Right,
    RightsClient,
    RightsError,
    question,
)

from rights.client.cache import LocalDecisionCache, NotCached

__all__ = [
    "AsyncRightsClient", "BatchAnswer", "Catalogue", "Change", "ChangePage", "CheckAnswer", "LocalDecisionCache",
    "NotCached", "Retry", "Right", "RightsClient", "RightsError", "question",
]
