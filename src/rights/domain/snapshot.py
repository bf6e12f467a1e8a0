"""A snapshot of the decision index, so a restarted process is ready in seconds rather than minutes.

The file holds the index's own parts (its id lists, look-up dicts and the grants' parallel arrays) as
they stood at one revision, each encoded with msgspec's MessagePack into a declared type (``PARTS``):
decoding builds only str, int, float, bytes, lists, dicts and the index's own Structs, never arbitrary
objects (no pickle). The look-ups derived from the id lists and everything derived from the catalogue
are rebuilt, not stored. After loading, the keeper catches the index up from the change log.

Layout: ``MAGIC``, a length-prefixed :class:`Header`, one frame per part (one byte: the part's place
in ``PARTS``, eight bytes length, the encoded part) and an end frame carrying the SHA-256 of every byte
before it. A snapshot is used only when its header names this database's history (the hash of its first
change and of the change at the snapshot's revision), this catalogue and this machine's array layout,
and its checksum holds; anything else is a reason to build from the store instead (:func:`why_not`).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import sys
from array import array
from pathlib import Path
from typing import Any

import msgspec

from rights.domain.catalogue import Catalogue
from rights.domain.index import DecisionIndex, _Mandate

MAGIC = b"rights-index-snapshot\n"
FORMAT = 2
_FRAME = struct.Struct(">BQ")
_END = 0
_ARRAYS = {"_g_from": "d", "_g_until": "d", "_g_revoked": "d", "_g_person": "q", "_g_org": "q", "_g_rm": "l"}
# Every part of a DecisionIndex the snapshot stores, with the type it is decoded into.
PARTS: dict[str, Any] = {
    "_p_ids": list[str],
    "_p_frozen": bytearray,
    "_nn": dict[str, int],
    "_o_ids": list[str],
    "_o_status": bytearray,
    "_o_ident": dict[str, int],
    "_o_idents": list[tuple[str, ...]],
    "_g_ids": list[str],
    **dict.fromkeys(_ARRAYS, bytes),
    "_by_key": dict[int, int | list[int]],
    "_by_person": dict[int, list[int]],
    "_by_org": dict[int, list[int]],
    "_relations": dict[int, list[tuple[float, float, str]]],
    "_mandates": dict[int, dict[str, _Mandate]],
    "_mandators_of": dict[int, set[int]],
    "succeeded": dict[int, tuple[float, tuple[int, ...]]],
}
# Rebuilt on load: from the catalogue, from the id lists, or from the header.
DERIVED = frozenset({"catalogue", "_rm_ix", "_rm", "_rm_needs_wr", "_executor", "_p_ix", "_o_ix", "revision"})
_NAMES = list(PARTS)
_DECODERS = [msgspec.msgpack.Decoder(PARTS[name]) for name in _NAMES]
LAYOUT = f"{sys.byteorder}:" + ",".join(f"{c}{array(c).itemsize}" for c in sorted(set(_ARRAYS.values())))


class SnapshotError(Exception):
    """The file is not a sound snapshot (truncated, bad bytes, wrong checksum or format)."""


class Header(msgspec.Struct, frozen=True, kw_only=True):
    format: int
    layout: str  # byte order and item sizes of the stored arrays
    database: str  # hash of the change log's first entry: which database's history this is
    revision: int  # the change log position the index stands at
    revision_hash: str  # hash of the change at ``revision``: the same history up to there
    catalogue: str  # catalogue_hash() of the catalogue the index was built with


def catalogue_hash(catalogue: Catalogue) -> str:
    parts = [sorted(catalogue.applications.items()), sorted(catalogue.roles.items()),
             sorted(catalogue.org_types.items()), sorted(catalogue.successions.items())]
    return hashlib.sha256(msgspec.json.encode(parts, order="sorted")).hexdigest()


def write(path: Path, header: Header, index: DecisionIndex) -> None:
    """Write ``index`` under ``header`` through a temporary file, renamed at the end: all or nothing."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    encoder = msgspec.msgpack.Encoder()
    sha = hashlib.sha256()
    try:
        # national numbers are in it: readable by the service's own user only, like the database
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            def put(data: bytes) -> None:
                sha.update(data)
                f.write(data)

            head = encoder.encode(header)
            put(MAGIC + struct.pack(">I", len(head)) + head)
            for kind, name in enumerate(_NAMES, start=1):
                value = getattr(index, name)
                body = encoder.encode(value.tobytes() if name in _ARRAYS else value)
                put(_FRAME.pack(kind, len(body)))
                put(body)
            digest = sha.digest()
            f.write(_FRAME.pack(_END, len(digest)) + digest)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_header(path: Path) -> Header:
    try:
        with path.open("rb") as f:
            if f.read(len(MAGIC)) != MAGIC:
                raise SnapshotError("not a snapshot")
            (size,) = struct.unpack(">I", f.read(4))
            header = msgspec.msgpack.decode(f.read(size), type=Header)
    except (OSError, struct.error, msgspec.DecodeError) as exc:
        raise SnapshotError(f"unreadable header: {type(exc).__name__}") from None
    if header.format != FORMAT or header.layout != LAYOUT:
        raise SnapshotError(f"format {header.format} {header.layout}, expected {FORMAT} {LAYOUT}")
    return header


def why_not(header: Header, *, database: str | None, revision_hash: str | None, catalogue: str) -> str | None:
    """Why a snapshot with ``header`` may not be used for this database and catalogue (None: it may).

    ``database`` is the hash of this database's first change, ``revision_hash`` the hash of its change at
    the snapshot's revision (None when it has not reached that revision).
    """
    if header.catalogue != catalogue:
        return "catalogue"
    if database is None or header.database != database or header.revision_hash != revision_hash:
        return "foreign"
    return None


def load(path: Path, header: Header, catalogue: Catalogue) -> DecisionIndex:
    """The index stored in ``path``, after the whole file's checksum has been verified."""
    try:
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            view = memoryview(mm)
            try:
                parts = _parts(view)
            finally:
                view.release()
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"unreadable: {type(exc).__name__}") from None
    index = DecisionIndex(catalogue)
    for name, value in parts.items():
        if name in _ARRAYS:
            stored = array(_ARRAYS[name])
            try:
                stored.frombytes(value)
            except ValueError:  # not a whole number of items
                raise SnapshotError("inconsistent parts") from None
            value = stored
        setattr(index, name, value)
    lengths = {len(getattr(index, n)) for n in ("_g_ids", *_ARRAYS)}
    if len(lengths) != 1 or len(index._p_ids) != len(index._p_frozen) or not (
            len(index._o_ids) == len(index._o_status) == len(index._o_idents)):
        raise SnapshotError("inconsistent parts")
    index._p_ix = {pid: i for i, pid in enumerate(index._p_ids)}
    index._o_ix = {oid: i for i, oid in enumerate(index._o_ids)}
    index.revision = header.revision
    return index


def _parts(view: memoryview) -> dict[str, Any]:
    if bytes(view[:len(MAGIC)]) != MAGIC:
        raise SnapshotError("not a snapshot")
    end = len(view) - _FRAME.size - 32
    if end < len(MAGIC) + 4:
        raise SnapshotError("truncated")
    kind, size = _FRAME.unpack_from(view, end)
    if kind != _END or size != 32 or hashlib.sha256(view[:end]).digest() != bytes(view[end + _FRAME.size:]):
        raise SnapshotError("checksum")
    (head,) = struct.unpack_from(">I", view, len(MAGIC))
    at = len(MAGIC) + 4 + head
    parts: dict[str, Any] = {}
    while at < end:
        kind, size = _FRAME.unpack_from(view, at)
        at += _FRAME.size
        if not 1 <= kind <= len(_NAMES) or at + size > end:
            raise SnapshotError("bad frame")
        try:
            parts[_NAMES[kind - 1]] = _DECODERS[kind - 1].decode(view[at:at + size])
        except msgspec.DecodeError:
            raise SnapshotError("bad frame") from None
        at += size
    if len(parts) != len(_NAMES):
        raise SnapshotError("missing parts")
    return parts
