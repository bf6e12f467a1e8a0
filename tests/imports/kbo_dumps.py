"""Small hand-written KBO dumps for the import tests, and a helper to read back what was imported.

Built independently of the project's generator (rights.imports.generate) and reader: the numbers'
mod-97 check digits, the headers and meta.csv are spelled out here as the KBO open-data cookbook
describes them, so a mistake shared by generator and importer cannot hide.
"""

from __future__ import annotations

import datetime
import itertools
import zipfile
from pathlib import Path

from sqlalchemy import text

from rights.storage import SqlStore

# The headers of the published files, written out rather than imported from the reader.
ENTERPRISE = ("EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise", "JuridicalForm",
              "JuridicalFormCAC", "StartDate")  # fmt: skip
DENOMINATION = ("EntityNumber", "Language", "TypeOfDenomination", "Denomination")
ADDRESS = ("EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode", "MunicipalityNL",
           "MunicipalityFR", "StreetNL", "StreetFR", "HouseNumber", "Box", "ExtraAddressInfo",
           "DateStrikingOff")  # fmt: skip
ESTABLISHMENT = ("EstablishmentNumber", "StartDate", "EnterpriseNumber")
# update extracts: the *_delete.csv files hold only the key column
DELETE_KEYS = {"enterprise": "EnterpriseNumber", "denomination": "EntityNumber", "address": "EntityNumber",
               "establishment": "EstablishmentNumber"}  # fmt: skip
HEADERS = {"enterprise": ENTERPRISE, "denomination": DENOMINATION, "address": ADDRESS, "establishment": ESTABLISHMENT}


def dotted(base: int) -> str:
    """Eight digits and their check digits (97 - base mod 97), dotted: 2075090 -> 0207.509.031."""
    s = f"{base:08d}{97 - base % 97:02d}"
    return f"{s[:4]}.{s[4:7]}.{s[7:]}"


def establishment_number(base: int) -> str:
    s = f"{base:08d}{97 - base % 97:02d}"
    return f"{s[0]}.{s[1:4]}.{s[4:7]}.{s[7:]}"

AFFLIGEM = "0207.509.031"  # a municipality (JuridicalForm 411)
BAKERY = dotted(2_100_000)  # a BV with a French name too, an abbreviation and a commercial name
BREWERY = dotted(2_100_100)  # French only
PERSON = dotted(2_100_200)  # a natural person: only a commercial name
EST_1 = establishment_number(21_000_000)
EST_2 = establishment_number(21_000_001)


def q(*fields: str) -> str:
    return ",".join(f'"{f}"' for f in fields)


_extracts = itertools.count(100)  # each dump written is a newer extract than the one before


def meta(number: int, kind: str = "full", snapshot: datetime.date | None = None) -> bytes:
    """meta.csv as published: Variable,Value rows, dates DD-MM-YYYY."""
    day = snapshot or datetime.date(2026, 1, 1) + datetime.timedelta(days=number)
    rows = [("Variable", "Value"), ("SnapshotDate", day.strftime("%d-%m-%Y")),
            ("ExtractTimestamp", day.strftime("%d-%m-%Y") + " 05:21:33"), ("ExtractType", kind),
            ("ExtractNumber", str(number)), ("Version", "1.0.0")]  # fmt: skip
    return "".join(q(*r) + "\r\n" for r in rows).encode()


def write_dump(directory: Path, enterprises: list[str], denominations: list[str], addresses: list[str],
               establishments: list[str], *, raw_enterprise_lines: dict[int, bytes] | None = None,
               extract: int | None = None, snapshot: datetime.date | None = None, kind: str = "full") -> Path:  # fmt: skip
    """A full extract in a folder (``directory``) or, when its name ends in .zip, a zip as published."""
    files: dict[str, bytes] = {"meta.csv": meta(extract if extract is not None else next(_extracts), kind, snapshot)}
    for name, header, lines in (("enterprise", ENTERPRISE, enterprises), ("denomination", DENOMINATION, denominations),
                                ("address", ADDRESS, addresses), ("establishment", ESTABLISHMENT, establishments)):  # fmt: skip
        body = [(q(*header) + "\r\n").encode()] + [(line + "\r\n").encode() for line in lines]
        if name == "enterprise":
            for index, raw in (raw_enterprise_lines or {}).items():
                body.insert(index, raw + b"\r\n")
        files[f"{name}.csv"] = b"".join(body)
    return _write(directory, files)


def write_update(directory: Path, extract: int, *, deletes: dict[str, list[str]], inserts: dict[str, list[str]],
                 snapshot: datetime.date | None = None) -> Path:  # fmt: skip
    """An update extract: ``<file>_delete.csv`` (keys only) and ``<file>_insert.csv`` per file."""
    files = {"meta.csv": meta(extract, "update", snapshot)}
    for name, header in HEADERS.items():
        files[f"{name}_delete.csv"] = "".join(q(k) + "\r\n" for k in [DELETE_KEYS[name], *deletes.get(name, [])]).encode()
        files[f"{name}_insert.csv"] = "".join(line + "\r\n" for line in [q(*header), *inserts.get(name, [])]).encode()
    return _write(directory, files)


def _write(target: Path, files: dict[str, bytes]) -> Path:
    if target.suffix == ".zip":
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (target / name).write_bytes(data)
    return target


def base_dump(directory: Path, **kwargs: object) -> Path:
    return write_dump(
        directory,
        [
            q(AFFLIGEM, "AC", "000", "2", "411", "", "01-01-1977"),
            q(BAKERY, "AC", "000", "2", "610", "", "15-03-2012"),
            q(BREWERY, "AC", "000", "2", "014", "", "02-05-1990"),
            q(PERSON, "AC", "000", "1", "", "", "30-11-2001"),
        ],
        [
            q(AFFLIGEM, "1", "001", "Commune d'Affligem"),
            q(AFFLIGEM, "2", "001", "Gemeente Affligem"),
            q(BAKERY, "1", "001", "Boulangerie Peeters"),
            q(BAKERY, "2", "001", "Bakkerij Peeters"),
            q(BAKERY, "2", "002", "BP"),
            q(BAKERY, "2", "003", "Het Gouden Brood"),
            q(BREWERY, "1", "001", "Brasserie de l'Étoile"),
            q(PERSON, "2", "003", "Frituur Çelik"),
            q(EST_1, "2", "003", "Bakkerij Peeters Markt"),  # a unit's commercial name: its enterprise's too
        ],
        [
            q(AFFLIGEM, "REGO", "", "", "1790", "Affligem", "Affligem", "Bellestraat", "", "7", "", "", ""),
            q(BAKERY, "REGO", "", "", "1790", "Affligem", "", "Kerkstraat", "", "12", "A", "", ""),
            q(BREWERY, "REGO", "", "", "4000", "Luik", "Liège", "", "Rue Haute", "3", "", "", ""),
        ],
        [q(EST_1, "01-01-2013", BAKERY), q(EST_2, "01-01-2014", BAKERY)],
        **kwargs,  # type: ignore[arg-type]
    )


async def imported(store: SqlStore) -> dict[str, tuple]:
    """enterprise number -> (type, name, short_name, status, postal code, street, version)."""
    async with store.read() as tx:
        rows = await tx.connection.execute(
            text(
                "SELECT i.value, o.type, o.name, o.short_name, o.status, o.address, o.version"
                " FROM organisation_identifiers i JOIN organisations o ON o.id = i.organisation_id"
                " WHERE i.kind = 'enterprise_number'"
            )
        )
        out = {}
        for value, type_, name, short, status, address, version in rows:
            if isinstance(address, str):
                import json

                address = json.loads(address)
            address = address or {}
            out[value] = (type_, name, short, status, address.get("postal_code"), address.get("street"), version)
        return out


async def scalar(store: SqlStore, sql: str) -> object:
    async with store.read() as tx:
        return (await tx.connection.execute(text(sql))).scalar()
