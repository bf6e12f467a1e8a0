"""rights-client: a light Python client for `rights` (httpx and msgspec only).

``RightsClient`` (blocking) and ``AsyncRightsClient`` ask the service's questions (check, batch, complete
lists, the change feed, the catalogue) and make grants and revocations; ``DecisionCache`` and
``AsyncDecisionCache`` keep the server's answers, dropped as ``/v1/changes`` says; see docs/client.md.
"""

from rights_client.cache import AsyncDecisionCache, DecisionCache
from rights_client.http import AsyncRightsClient, Question, Retry, RightsClient, RightsError, question
from rights_client.wire import (
    Application,
    BatchAnswer,
    Catalogue,
    Change,
    ChangePage,
    CheckAnswer,
    Grant,
    GrantWritten,
    Measure,
    OrganisationType,
    Page,
    Right,
    Role,
    Successor,
)

__version__ = "0.1.0"

__all__ = [
    "Application", "AsyncDecisionCache", "AsyncRightsClient", "BatchAnswer", "Catalogue", "Change", "ChangePage", "CheckAnswer", "DecisionCache", "Grant",
    "GrantWritten", "Measure", "OrganisationType", "Page", "Question", "Retry", "RightsClient", "RightsError",
    "Right", "Role", "Successor", "question",
]
