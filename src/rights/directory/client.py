"""Connections to the directory: TLS with certificate checking, timeouts, paged searches, back-off.

python-ldap is synchronous; callers run these functions in a worker thread (``asyncio.to_thread``) so
the event loop, and the database work on it, never waits on the network.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator

import ldap
from ldap.controls import SimplePagedResultsControl
from ldap.ldapobject import LDAPObject

from rights.directory.mapping import Connection, Tls

SYNC_REQUEST_CONTROL = "1.3.6.1.4.1.4203.1.9.1.1"
UNAVAILABLE = (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR, ldap.UNAVAILABLE, ldap.BUSY)


class DirectoryUnavailable(Exception):
    """The directory cannot be reached or stopped answering; the message is safe to show and log."""


def configure(conn: LDAPObject, cfg: Connection) -> None:
    conn.protocol_version = 3
    conn.set_option(ldap.OPT_REFERRALS, 0)
    conn.set_option(ldap.OPT_NETWORK_TIMEOUT, cfg.timeout_seconds)
    conn.set_option(ldap.OPT_TIMEOUT, cfg.timeout_seconds)
    if cfg.tls is not Tls.PLAIN:
        conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
        if cfg.ca_file is not None:
            conn.set_option(ldap.OPT_X_TLS_CACERTFILE, str(cfg.ca_file))
        conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)  # apply the options above to this connection


def missing_files(cfg: Connection) -> None:
    """Name a mounted file that is not there (yet), instead of python-ldap's bare "option error"."""
    for where, file in (("connection.ca_file", cfg.ca_file), ("connection.bind_password_file",
                                                             cfg.bind_password_file)):
        if file is not None and not file.is_file():
            raise DirectoryUnavailable(f"{where}: no such file: {file}")


def open_connection(cfg: Connection, factory: Callable[..., LDAPObject] = LDAPObject) -> LDAPObject:
    """A connection with TLS in place (StartTLS done) but not yet bound."""
    missing_files(cfg)
    conn = factory(cfg.uri)
    configure(conn, cfg)
    try:
        if cfg.tls is Tls.STARTTLS:
            conn.start_tls_s()
    except UNAVAILABLE as exc:
        raise DirectoryUnavailable(describe(exc)) from None
    return conn


def connect(cfg: Connection, factory: Callable[..., LDAPObject] = LDAPObject) -> LDAPObject:
    """A connection bound as the service account of the mapping."""
    conn = open_connection(cfg, factory)
    try:
        conn.simple_bind_s(cfg.bind_dn, cfg.bind_password())
    except UNAVAILABLE as exc:
        raise DirectoryUnavailable(describe(exc)) from None
    except ldap.INVALID_CREDENTIALS:
        raise DirectoryUnavailable("the directory refused the service account's credentials") from None
    return conn


def describe(exc: ldap.LDAPError, prefix: str = "directory unavailable") -> str:
    """A short, password-free description of an LDAP error (python-ldap puts a dict in args[0])."""
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    text = info.get("desc") or type(exc).__name__
    if info.get("info"):
        text += f" ({info['info']})"
    return f"{prefix}: {text}"


def dependency_error(exc: BaseException) -> str:
    """What a long-running worker records when something other than the directory failed (the database
    went away, most often). Only the error's class: driver messages can carry SQL parameters."""
    return f"internal error: {type(exc).__name__} (the database may be unavailable; retrying)"


def supports_syncrepl(conn: LDAPObject) -> bool:
    found = conn.search_s("", ldap.SCOPE_BASE, "(objectClass=*)", ["supportedControl"])
    controls = {v.decode() for _, attrs in found for v in attrs.get("supportedControl", [])}
    return SYNC_REQUEST_CONTROL in controls


def paged_search(
    conn: LDAPObject, base: str, filterstr: str, attrs: list[str], page_size: int
) -> Iterator[list[tuple[str, dict[str, list[bytes]]]]]:
    """Yield the results page by page (RFC 2696), so huge directories never hit the size limit."""
    control = SimplePagedResultsControl(True, size=page_size, cookie=b"")
    while True:
        try:
            msgid = conn.search_ext(base, ldap.SCOPE_SUBTREE, filterstr, attrs, serverctrls=[control])
            _, found, _, controls = conn.result3(msgid)
        except UNAVAILABLE as exc:
            raise DirectoryUnavailable(describe(exc)) from None
        yield [(dn, attrs_) for dn, attrs_ in found if dn is not None]
        cookie = next((c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType), b"")
        if not cookie:
            return
        control.cookie = cookie


def entry_uuid(attrs: dict[str, list[bytes]], name: str) -> str | None:
    """entryUUID (text) or Active Directory's objectGUID (16 little-endian bytes) as a UUID string."""
    values = next((v for k, v in attrs.items() if k.lower() == name.lower()), None)
    if not values:
        return None
    raw = values[0]
    if len(raw) == 16 and name.lower() == "objectguid":
        return str(uuid.UUID(bytes_le=raw))
    return raw.decode("ascii", "replace").lower()


def decode_attributes(attrs: dict[str, list[bytes]], uuid_name: str) -> dict[str, list[str]]:
    return {
        k: [v.decode("utf-8", "replace") for v in vs] for k, vs in attrs.items() if k.lower() != uuid_name.lower()
    }


class Backoff:
    """Exponential back-off with full jitter, capped; ``reset`` after a success."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial, self.maximum, self.attempt = initial, maximum, 0

    def next_delay(self) -> float:
        delay = min(self.maximum, self.initial * 2**self.attempt)
        self.attempt += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.attempt = 0
