"""A small RFC 4515 filter parser and evaluator.

One syncrepl search covers every block of the mapping (one cookie, one consistent stream), so each
entry that arrives must be sorted into its block here, by the block's own filter. Supported: ``& | !``,
equality, presence, substrings, ``>=`` and ``<=``, compared case-insensitively (the directory's
caseIgnore matching, which is what the attributes we map use). Extensible matches are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Entry = Mapping[str, Sequence[str]]  # attribute name (any case) -> values


def _unescape(text: str) -> str:
    return re.sub(r"\\([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), text)


def _values(entry: Entry, attr: str) -> list[str]:
    wanted = attr.lower()
    return [v.lower() for k, vs in entry.items() if k.lower() == wanted for v in vs]


@dataclass(frozen=True)
class Filter:
    op: str  # & | ! = =* sub >= <=
    attr: str = ""
    value: str = ""
    parts: tuple[Filter | str, ...] = ()

    def matches(self, entry: Entry) -> bool:
        if self.op == "&":
            return all(p.matches(entry) for p in self.parts)  # type: ignore[union-attr]
        if self.op == "|":
            return any(p.matches(entry) for p in self.parts)  # type: ignore[union-attr]
        if self.op == "!":
            return not self.parts[0].matches(entry)  # type: ignore[union-attr]
        values = _values(entry, self.attr)
        if self.op == "=*":
            return bool(values)
        if self.op == "=":
            return self.value.lower() in values
        if self.op == ">=":
            return any(v >= self.value.lower() for v in values)
        if self.op == "<=":
            return any(v <= self.value.lower() for v in values)
        pattern = ".*".join(re.escape(str(p).lower()) for p in self.parts)
        return any(re.fullmatch(pattern, v, re.DOTALL) for v in values)

    def attributes(self) -> set[str]:
        if self.op in "&|!":
            return set().union(*(p.attributes() for p in self.parts))  # type: ignore[union-attr]
        return {self.attr}


def parse_filter(text: str) -> Filter:
    text = text.strip()
    result, end = _parse(text, 0)
    if end != len(text):
        raise ValueError(f"unexpected text after the filter at position {end}")
    return result


def _parse(text: str, i: int) -> tuple[Filter, int]:
    if i >= len(text) or text[i] != "(":
        raise ValueError(f"a filter must start with '(' at position {i}")
    i += 1
    if i < len(text) and text[i] in "&|!":
        op, parts = text[i], []
        i += 1
        while i < len(text) and text[i] == "(":
            part, i = _parse(text, i)
            parts.append(part)
        if i >= len(text) or text[i] != ")" or not parts or (op == "!" and len(parts) != 1):
            raise ValueError(f"malformed '{op}' filter")
        return Filter(op, parts=tuple(parts)), i + 1
    close = text.find(")", i)
    if close < 0:
        raise ValueError("missing ')'")
    item = text[i:close]
    m = re.fullmatch(r"([A-Za-z][A-Za-z0-9-]*|[0-9.]+)(>=|<=|~=|:=|=)(.*)", item, re.DOTALL)
    if m is None or m.group(2) in ("~=", ":=") or ":" in m.group(1):
        raise ValueError(f"unsupported filter item '({item})'")
    attr, op, value = m.groups()
    if op == "=" and value == "*":
        return Filter("=*", attr), close + 1
    if op == "=" and "*" in value:
        return Filter("sub", attr, parts=tuple(_unescape(p) for p in value.split("*"))), close + 1
    return Filter(op, attr, _unescape(value)), close + 1
