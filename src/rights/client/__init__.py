"""Python client for `rights`: checks, batches, lists and the change feed over HTTP, and an optional
local decision cache kept current from the change feed (see :mod:`rights.client.cache`)."""

from rights.client.cache import LocalDecisionCache, NotCached
from rights.client.http import (
    AsyncRightsClient,
    BatchAnswer,
    Change,
    ChangePage,
    CheckAnswer,
    Right,
    RightsClient,
    RightsError,
    question,
)

__all__ = [
    "AsyncRightsClient", "BatchAnswer", "Change", "ChangePage", "CheckAnswer", "LocalDecisionCache", "NotCached",
    "Right", "RightsClient", "RightsError", "question",
]
