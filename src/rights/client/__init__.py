"""The server package's side of the Python client: the local decision cache, and a re-export of the light
client (the `rights-client` distribution under clients/python/, package :mod:`rights_client`).

The client itself needs only httpx and msgspec and is installed on its own; the cache lives here because
it replays the change feed into the server's own :class:`rights.domain.index.DecisionIndex`, so it
answers exactly as the server does (docs/client.md).
"""

from rights_client import (
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
