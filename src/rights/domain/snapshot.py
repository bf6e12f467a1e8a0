"""A snapshot of what the decision index is built from, so a restarted process is ready in seconds.

The file holds the entities the index reads at start-up (organisations, persons, work relations,
grants, mandates, applied successions) as they stood at one revision, encoded with msgspec's MessagePack
into typed Structs: decoding builds only those Structs, never arbitrary objects (no pickle). The
index is filled from them exactly as from the store's streams, then caught up from the change log.

Layout: ``MAGIC``, a length-prefixed :class:`Header`, frames (one byte kind, four bytes length, a list of
one kind of entity), and an end frame carrying the SHA-256 of every byte before it. A snapshot is used
only when its header names this database's history (the hash of its first change and of the change at
the snapshot's revision), this catalogue and a revision the database has reached, and its checksum
holds; anything else is a reason to build from the store instead (:func:`why_not`).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from rights.domain.catalogue import Catalogue
from rights.domain.model import Grant, Mandate, Organisation, Person, Succession, WorkRelation

MAGIC = b"rights-index-snapshot\n"
FORMAT = 1
_FRAME = struct.Struct(">BI")
_END = 0
# frame kinds, in the order the index is filled (as IndexKeeper._fill does)
KINDS: dict[int, type] = {1: Organisation, 2: Person, 3: WorkRelation, 4: Grant, 5: Mandate, 6: Succession}
_KIND_OF = {cls: kind for kind, cls in KINDS.items()}
_DECODERS = {kind: msgspec.msgpack.Decoder(list[cls]) for kind, cls in KINDS.items()}
_CHUNK = 20_000


class SnapshotError(Exception):
    """The file is not a sound snapshot (truncated, bad bytes, wrong checksum or format)."""


class Header(msgspec.Struct, frozen=True, kw_only=True):
    format: int
    database: str  # hash of the change log's first entry: which database's history this is
    revision: int  # the change log position the entities stand at
    revision_hash: str  # hash of the change at ``revision``: the same history up to there
    catalogue: str  # catalogue_hash() of the catalogue the snapshot was written with


def catalogue_hash(catalogue: Catalogue) -> str:
    parts = [sorted(catalogue.applications.items()), sorted(catalogue.roles.items()),
             sorted(catalogue.org_types.items()), sorted(catalogue.successions.items())]
    return hashlib.sha256(msgspec.json.encode(parts, order="sorted")).hexdigest()


class Writer:
    """Streams entities into ``path`` (through a temporary file, replaced at the end: all or nothing)."""

    def __init__(self, path: Path, header: Header) -> None:
        self.path = path
        self._tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._tmp.open("wb")
        self._sha = hashlib.sha256()
        self._encoder = msgspec.msgpack.Encoder()
        self._pending: dict[int, list[Any]] = {}
        head = self._encoder.encode(header)
        self._write(MAGIC + struct.pack(">I", len(head)) + head)

    def _write(self, data: bytes) -> None:
        self._sha.update(data)
        self._file.write(data)

    def add(self, entity: Any) -> None:
        kind = _KIND_OF[type(entity)]
        pending = self._pending.setdefault(kind, [])
        pending.append(entity)
        if len(pending) >= _CHUNK:
            self._flush(kind)

    def _flush(self, kind: int) -> None:
        if items := self._pending.pop(kind, None):
            body = self._encoder.encode(items)
            self._write(_FRAME.pack(kind, len(body)) + body)

    def close(self) -> None:
        for kind in list(self._pending):
            self._flush(kind)
        digest = self._sha.digest()
        self._file.write(_FRAME.pack(_END, len(digest)) + digest)
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)


def read_header(path: Path) -> Header:
    try:
        with path.open("rb") as f:
            if f.read(len(MAGIC)) != MAGIC:
                raise SnapshotError("not a snapshot")
            (size,) = struct.unpack(">I", f.read(4))
            header = msgspec.msgpack.decode(f.read(size), type=Header)
    except (OSError, struct.error, msgspec.DecodeError) as exc:
        raise SnapshotError(f"unreadable header: {type(exc).__name__}") from None
    if header.format != FORMAT:
        raise SnapshotError(f"format {header.format}, expected {FORMAT}")
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


def entities(path: Path) -> Iterator[Any]:
    """Every entity in the file, in frame order, after the whole file's checksum has been verified."""
    try:
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            view = memoryview(mm)
            try:
                yield from _frames(view)
            finally:
                view.release()
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"unreadable: {type(exc).__name__}") from None


def _frames(view: memoryview) -> Iterator[Any]:
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
    while at < end:
        kind, size = _FRAME.unpack_from(view, at)
        at += _FRAME.size
        if kind not in _DECODERS or at + size > end:
            raise SnapshotError("bad frame")
        try:
            yield from _DECODERS[kind].decode(view[at:at + size])
        except msgspec.DecodeError:
            raise SnapshotError("bad frame") from None
        at += size
