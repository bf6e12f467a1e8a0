"""The framework's and msgspec's validation messages said as sentences in Dutch and in English.

msgspec says "Object missing required field `identifiers`"; a Dutch message must be entirely Dutch and an
empty body must get a sentence, not "Invalid request: 'data'" (issue 13, item 6). An unknown message keeps
its English text and gets a general Dutch sentence.
"""

from __future__ import annotations

import re

# msgspec's type names
TYPES: dict[str, tuple[str, str]] = {
    "int": ("een geheel getal", "a whole number"), "float": ("een getal", "a number"),
    "str": ("tekst", "text"), "bool": ("true of false", "true or false"), "null": ("null", "null"),
    "object": ("een JSON-object", "a JSON object"), "array": ("een lijst", "a list"),
    "datetime": ("een datum en tijd", "a date and time"), "date": ("een datum", "a date"),
}
EMPTY = ("De aanvraag heeft geen inhoud: stuur een JSON-object.", "The request has no body: send a JSON object.")
FALLBACK_NL = "de waarde heeft niet de verwachte vorm"


def _type(name: str, index: int) -> str:
    return TYPES.get(name, (name, name))[index]


def _expected(m: re.Match[str]) -> tuple[str, str]:
    want, got = m.group(1), m.group(2)
    return (f"verwacht {_type(want, 0)}, niet {_type(got, 0)}", f"expected {_type(want, 1)}, not {_type(got, 1)}")


# (pattern, (Dutch, English) or a function of the match giving both)
PATTERNS = [
    (re.compile(r"^'?data'?$"), lambda m: EMPTY),
    (re.compile(r"Object missing required field `([^`]+)`"),
     lambda m: (f"het verplichte veld '{m.group(1)}' ontbreekt", f"the required field '{m.group(1)}' is missing")),
    (re.compile(r"Object contains unknown field `([^`]+)`"),
     lambda m: (f"onbekend veld '{m.group(1)}'", f"unknown field '{m.group(1)}'")),
    (re.compile(r"Expected `datetime` with a timezone component"),
     lambda m: ("vermeld een tijdzone (bijvoorbeeld Z of +01:00)", "give a time zone (for example Z or +01:00)")),
    (re.compile(r"Expected `(\w+)`(?: \|[^,]*)?, got `(\w+)`"), _expected),
    (re.compile(r"Invalid enum value (.+)$"),
     lambda m: (f"ongeldige waarde {m.group(1)}", f"invalid value {m.group(1)}")),
    (re.compile(r"Invalid RFC3339 encoded (datetime|date)"),
     lambda m: ("geen geldige datum volgens RFC 3339", "not a valid RFC 3339 date")),
    (re.compile(r"Input data was truncated"),
     lambda m: ("de JSON is leeg of onvolledig", "the JSON is empty or incomplete")),
    (re.compile(r"JSON is malformed|malformed", re.I),
     lambda m: ("de JSON is onleesbaar", "the JSON is malformed")),
]


def say(message: str) -> tuple[str, str]:
    """(Dutch, English) for one validation message; English keeps the original when it is not known."""
    text = message.strip()
    if not text:
        return EMPTY
    for pattern, words in PATTERNS:
        m = pattern.search(text)
        if m:
            return words(m)
    return FALLBACK_NL, text
