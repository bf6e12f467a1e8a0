"""Small hand-written KBO dumps for the import tests, and a helper to read back what was imported."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from rights.imports.generate import enterprise_number as dotted
from rights.imports.generate import establishment_number
from rights.imports.kbo_dump import ADDRESS, DENOMINATION, ENTERPRISE, ESTABLISHMENT
from rights.storage import SqlStore

AFFLIGEM = "0207.509.031"  # a municipality (JuridicalForm 411)
BAKERY = dotted(2_100_000)  # a BV with a French name too, an abbreviation and a commercial name
BREWERY = dotted(2_100_100)  # French only
PERSON = dotted(2_100_200)  # a natural person: only a commercial name
EST_1 = establishment_number(21_000_000)
EST_2 = establishment_number(21_000_001)


def q(*fields: str) -> str:
    return ",".join(f'"{f}"' for f in fields)


def write_dump(directory: Path, enterprises: list[str], denominations: list[str], addresses: list[str],
               establishments: list[str], *, raw_enterprise_lines: dict[int, bytes] | None = None) -> Path:  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    for name, header, lines in (("enterprise", ENTERPRISE, enterprises), ("denomination", DENOMINATION, denominations),
                                ("address", ADDRESS, addresses), ("establishment", ESTABLISHMENT, establishments)):  # fmt: skip
        body = [(q(*header) + "\n").encode()] + [(line + "\n").encode() for line in lines]
        if name == "enterprise":
            for index, raw in (raw_enterprise_lines or {}).items():
                body.insert(index, raw + b"\n")
        (directory / f"{name}.csv").write_bytes(b"".join(body))
    return directory


def base_dump(directory: Path) -> Path:
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
            q(EST_1, "2", "003", "Bakkerij Peeters Markt"),  # an establishment's name: not imported
        ],
        [
            q(AFFLIGEM, "REGO", "", "", "1790", "Affligem", "Affligem", "Bellestraat", "", "7", "", "", ""),
            q(BAKERY, "REGO", "", "", "1790", "Affligem", "", "Kerkstraat", "", "12", "A", "", ""),
            q(BREWERY, "REGO", "", "", "4000", "Luik", "Liège", "", "Rue Haute", "3", "", "", ""),
        ],
        [q(EST_1, "01-01-2013", BAKERY), q(EST_2, "01-01-2014", BAKERY)],
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
