"""Text helpers the core and the storage adapter share.

``normalise_search_text`` is the one folding both sides of a name search go through: the stored
``search_name`` and the text a helpline agent types, so "AFFLIGEM", "Afflìgem" and "affligem" meet.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[\W_]+")


def normalise_search_text(text: str) -> str:
    """Casefold, strip accents (NFKD, combining marks dropped) and collapse the rest to single spaces.

    >>> normalise_search_text("  Gemeente  Afflìgem (O.C.M.W.) ")
    'gemeente affligem o c m w'
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _NOT_ALNUM.sub(" ", bare).strip()


__all__ = ["normalise_search_text"]
