"""A synthetic KBO open-data dump of any size, in the real files' format, deterministic per seed.

``month=0`` is a base dump; ``month=1`` the same population a month later: about 2% of enterprises
gone, 3% renamed, 1% moved and 2% new ones (numbers between existing ones), so re-import tests and
benchmarks see realistic churn. ``bad_rows=True`` plants one of each kind of bad row. Enterprise and
establishment numbers pass the mod-97 check; files are sorted by entity number as in the real dumps
(establishment units' names and addresses are spooled to temporary files and appended at the end).
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import IO

from rights.imports.kbo_dump import ADDRESS, DENOMINATION, ENTERPRISE, ESTABLISHMENT

# (postal code, Dutch name, French name, language of the region)
PLACES = [
    ("1000", "Brussel", "Bruxelles", "bi"), ("1050", "Elsene", "Ixelles", "bi"),
    ("1790", "Affligem", "Affligem", "nl"), ("2000", "Antwerpen", "Anvers", "nl"),
    ("2300", "Turnhout", "Turnhout", "nl"), ("2800", "Mechelen", "Malines", "nl"),
    ("3000", "Leuven", "Louvain", "nl"), ("3500", "Hasselt", "Hasselt", "nl"),
    ("3600", "Genk", "Genk", "nl"), ("8000", "Brugge", "Bruges", "nl"),
    ("8400", "Oostende", "Ostende", "nl"), ("8500", "Kortrijk", "Courtrai", "nl"),
    ("9000", "Gent", "Gand", "nl"), ("9300", "Aalst", "Alost", "nl"),
    ("9100", "Sint-Niklaas", "Saint-Nicolas", "nl"), ("1500", "Halle", "Hal", "nl"),
    ("4000", "Luik", "Liège", "fr"), ("5000", "Namen", "Namur", "fr"),
    ("6000", "Charleroi", "Charleroi", "fr"), ("7000", "Bergen", "Mons", "fr"),
    ("1300", "Waver", "Wavre", "fr"), ("1400", "Nijvel", "Nivelles", "fr"),
    ("4700", "Eupen", "Eupen", "de"), ("4780", "Sankt Vith", "Saint-Vith", "de"),
]  # fmt: skip
SURNAMES = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
            "De Smet", "Vermeulen", "Dubois", "Lambert", "Dupont", "Lefèvre", "Mathieu", "Renée",
            "Müller", "Schmitz", "Schröder", "Van den Broeck", "D'Hondt", "Çelik", "Verhaegen", "Noël"]  # fmt: skip
TRADES = {
    "nl": ["Bakkerij", "Brouwerij", "Schrijnwerkerij", "Garage", "Bouwonderneming", "Apotheek", "Slagerij",
           "Kapsalon", "Boekhoudkantoor", "Tuinaanleg", "Café", "Frituur", "Drukkerij"],
    "fr": ["Boulangerie", "Brasserie", "Menuiserie", "Pharmacie", "Boucherie", "Salon de coiffure",
           "Fiduciaire", "Jardinerie", "Crèmerie", "Hôtel", "Friterie", "Imprimerie"],
    "de": ["Bäckerei", "Schreinerei", "Metzgerei", "Gärtnerei", "Brauerei", "Apotheke", "Druckerei"],
}  # fmt: skip
FORMS = {"nl": [("610", "BV"), ("014", "NV"), ("017", "VZW"), ("706", "CV"), ("011", "VOF")],
         "fr": [("610", "SRL"), ("014", "SA"), ("017", "ASBL"), ("706", "SC"), ("011", "SNC")],
         "de": [("610", "BV"), ("014", "AG"), ("017", "VoG"), ("706", "Gen")]}  # fmt: skip
LOCAL = [("411", "Gemeente", "Commune de"), ("412", "OCMW", "CPAS de"), ("413", "Politiezone", "Zone de police"),
         ("417", "Intercommunale", "Intercommunale"), ("418", "AGB", "Régie communale autonome")]  # fmt: skip
STREETS = {"nl": ["Kerkstraat", "Stationsstraat", "Dorpsstraat", "Markt", "Nieuwstraat", "Molenstraat"],
           "fr": ["Rue de la Station", "Rue de l'Église", "Grand-Place", "Chaussée de Louvain", "Rue Haute"],
           "de": ["Hauptstraße", "Kirchstraße", "Bahnhofstraße", "Marktplatz"]}  # fmt: skip
LANG_CODE = {"fr": "1", "nl": "2", "de": "3", "en": "4"}


def check_digits(base: int) -> str:
    return f"{97 - base % 97:02d}"


def enterprise_number(base: int) -> str:
    """Eight digits -> dotted enterprise number with its check digits: 2075090 -> 0207.509.031."""
    s = f"{base:08d}{check_digits(base)}"
    return f"{s[:4]}.{s[4:7]}.{s[7:]}"


def establishment_number(base: int) -> str:
    s = f"{base:08d}{check_digits(base)}"
    return f"{s[0]}.{s[1:4]}.{s[4:7]}.{s[7:]}"


def _line(*fields: str) -> str:
    return ",".join('"' + f.replace('"', '""') + '"' for f in fields) + "\n"


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-{rng.randint(1960, 2024)}"


def generate_kbo(
    directory: Path, enterprises: int, *, seed: int = 1, month: int = 0, bad_rows: bool = False
) -> dict[str, int]:
    """Write enterprise, denomination, address, establishment, meta and code CSVs into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    rng, churn = random.Random(seed), random.Random(seed * 7919 + 1)
    stats = {"enterprises": 0, "establishments": 0, "removed": 0, "renamed": 0, "added": 0}
    bad_at = {k: max(1, enterprises * (i + 1) // 9) for i, k in enumerate(
        ("checksum", "date", "columns", "encoding", "missing_name", "empty_name", "est_checksum"))}  # fmt: skip
    files = {name: open(directory / f"{name}.csv", "wb") for name in  # noqa: SIM115 - closed below
             ("enterprise", "denomination", "address", "establishment")}  # fmt: skip
    spool_names, spool_addresses = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    try:
        for name, header in (("enterprise", ENTERPRISE), ("denomination", DENOMINATION),
                             ("address", ADDRESS), ("establishment", ESTABLISHMENT)):  # fmt: skip
            files[name].write(_line(*header).encode())
        base = 2_000_000
        for i in range(1, enterprises + 1):
            step = rng.randint(1, 4)
            # churn draws a fixed number of values per enterprise, so month 0 and 1 stay in step
            gone, renamed, moved, added = (churn.random() for _ in range(4))
            if month and added < 0.02 and step > 1:
                _enterprise(files, rng=random.Random(base + 1), base=base + 1, suffix="")
                stats["added"] += 1
                stats["enterprises"] += 1
            base += step
            r = random.Random(base)  # the enterprise's own attributes: the same in every month
            if month and gone < 0.02:
                stats["removed"] += 1
                continue
            suffix = " & Zonen" if month and renamed < 0.03 else ""
            stats["renamed"] += bool(suffix)
            house = str(r.randint(1, 250) + (1 if month and moved < 0.01 else 0))
            kind = next((k for k, at in bad_at.items() if at == i and bad_rows), None)
            stats["enterprises"] += 1
            count = _enterprise(files, rng=r, base=base, suffix=suffix, house=house, bad=kind)
            if bad_rows and i == bad_at["est_checksum"]:
                count = max(count, 1)
            for j in range(count):
                # derived from the enterprise's base: sorted, and the same in every month
                number = establishment_number(20_000_000 + base * 3 + j)
                if bad_rows and i == bad_at["est_checksum"]:
                    number = number[:-1] + str((int(number[-1]) + 1) % 10)
                files["establishment"].write(_line(number, _date(r), enterprise_number(base)).encode())
                stats["establishments"] += 1
                if r.random() < 0.2:
                    place = r.choice(PLACES)
                    spool_names.write(_line(number, "2", "003", f"{r.choice(TRADES['nl'])} {place[1]}").encode())
                    spool_addresses.write(_line(number, "BAET", "", "", place[0], place[1], place[2],
                                                r.choice(STREETS["nl"]), "", str(r.randint(1, 99)), "", "",
                                                "").encode())  # fmt: skip
        for spool, name in ((spool_names, "denomination"), (spool_addresses, "address")):
            spool.seek(0)
            while chunk := spool.read(1 << 20):
                files[name].write(chunk)
    finally:
        for f in files.values():
            f.close()
        spool_names.close()
        spool_addresses.close()
    _meta(directory, seed, month)
    return stats


def _enterprise(files: dict[str, IO[bytes]], *, rng: random.Random, base: int, suffix: str,
                house: str = "", bad: str | None = None) -> int:  # fmt: skip
    """Write one enterprise's rows; returns how many establishment units it has."""
    number = enterprise_number(base)
    postal, muni_nl, muni_fr, region = rng.choice(PLACES)
    lang = rng.choice(("nl", "fr")) if region == "bi" else region
    muni = muni_fr if lang == "fr" else muni_nl
    natural = rng.random() < 0.15
    if rng.random() < 0.002:
        form, word_nl, word_fr = rng.choice(LOCAL)
        names = [("001", "2", f"{word_nl} {muni_nl}"), ("001", "1", f"{word_fr} {muni_fr}")]
    else:
        form, abbreviation = ("", "") if natural else rng.choice(FORMS[lang])
        trade = rng.choice(TRADES[lang])
        owner = rng.choice(SURNAMES)
        main = f"{trade} {owner}{suffix}" + (f" {abbreviation}" if abbreviation else "")
        names = [("003" if natural else "001", LANG_CODE[lang], main)]
        if region == "bi" and not natural:
            other = "fr" if lang == "nl" else "nl"
            names.append(("001", LANG_CODE[other], f"{rng.choice(TRADES[other])} {owner}{suffix}"))
        if rng.random() < 0.10:
            names.append(("002", LANG_CODE[lang], "".join(w[0] for w in main.split()).upper()))
        if rng.random() < 0.15:
            names.append(("003", LANG_CODE[lang], f"{owner} {muni}"))
    fields = [number, "AC", "000", "1" if natural else "2", form, "", _date(rng)]
    if bad == "checksum":
        fields[0] = number[:-1] + str((int(number[-1]) + 1) % 10)
    elif bad == "date":
        fields[6] = "31-02-2019"
    elif bad == "columns":
        fields.pop()
    elif bad == "missing_name":
        names = []
    elif bad == "empty_name":
        names.append(("002", LANG_CODE[lang], "  "))
    line = _line(*fields).encode()
    if bad == "encoding":
        line = line.replace(b'"AC"', b'"A\xe9"')  # Latin-1 bytes: not UTF-8
    files["enterprise"].write(line)
    for kind, code, text in names:
        files["denomination"].write(_line(fields[0], code, kind, text).encode())
    street = rng.choice(STREETS[lang])
    files["address"].write(_line(fields[0], "REGO", "", "", postal, muni_nl, muni_fr,
                                 street if lang != "fr" else "", street if lang == "fr" else "",
                                 house or str(rng.randint(1, 250)), rng.choice(("", "", "", "A", "2")), "",
                                 "").encode())  # fmt: skip
    return rng.choice((0, 0, 1, 1, 1, 2))


def _meta(directory: Path, seed: int, month: int) -> None:
    (directory / "meta.csv").write_text(
        _line("Variable", "Value") + _line("SnapshotDate", f"01-{month % 12 + 1:02d}-2026")
        + _line("ExtractTimestamp", f"01-{month % 12 + 1:02d}-2026 03:00:00")
        + _line("ExtractType", "full") + _line("ExtractNumber", str(seed * 1000 + month))
        + _line("Version", "1.0.0"),
        encoding="utf-8",
    )
    codes = [("JuridicalForm", c, "NL", d) for c, d in (("610", "Besloten Vennootschap"), ("014", "Naamloze vennootschap"),
             ("017", "Vereniging zonder winstoogmerk"), ("411", "Stad/gemeente"), ("412", "OCMW"))]  # fmt: skip
    (directory / "code.csv").write_text(
        _line("Category", "Code", "Language", "Description") + "".join(_line(*c) for c in codes), encoding="utf-8"
    )


__all__ = ["enterprise_number", "establishment_number", "generate_kbo"]
