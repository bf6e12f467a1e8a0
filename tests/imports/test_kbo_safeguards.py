"""Issue 11, items 1 and 2: a truncated, stale or misfiled KBO dump ceases nothing; zips and update extracts.

Dumps are written by tests/imports/kbo_dumps.py in the published format (meta.csv, quoted CSV with CRLF,
zip as published), independently of the project's generator. Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import insert

from rights.domain.lookup import find
from rights.imports.kbo import dry_run_kbo, import_kbo, import_kbo_extracts
from rights.imports.report import read_report
from rights.imports.rows import ImportAbort, ImportHeld
from rights.storage import SqlStore
from rights.storage.tables import administrators, grants, persons
from tests.imports.kbo_dumps import (
    dotted,
    establishment_number,
    imported,
    q,
    scalar,
    write_dump,
    write_update,
)

RIGHTS = str(Path(sys.executable).with_name("rights"))
N = lambda d: d.replace(".", "")  # noqa: E731
NOW = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


def register(numbers: list[int], *, rename: dict[int, str] | None = None) -> tuple[list[str], list[str], list[str]]:
    """enterprise, denomination and address lines for enterprises ``dotted(3_000_000 + i)``."""
    ents, names, addresses = [], [], []
    for i in numbers:
        d = dotted(3_000_000 + i)
        ents.append(q(d, "AC", "000", "2", "610", "", "01-01-2001"))
        names.append(q(d, "2", "001", (rename or {}).get(i, f"Bedrijf {i}")))
        addresses.append(q(d, "REGO", "", "", "1000", "Brussel", "Bruxelles", "Wetstraat", "", str(i), "", "", ""))
    return ents, names, addresses


def full(path: Path, numbers: list[int], **kwargs: object) -> Path:
    ents, names, addresses = register(numbers, rename=kwargs.pop("rename", None))  # type: ignore[arg-type]
    return write_dump(path, ents, names, addresses, [], **kwargs)  # type: ignore[arg-type]


async def statuses(store: SqlStore) -> dict[str, str]:
    return {k: v[3] for k, v in (await imported(store)).items()}


async def give_rights(store: SqlStore, enterprise: str) -> None:
    """An administrator and an active grant on the organisation of ``enterprise`` (plain rows)."""
    async with store.read() as tx:
        org = (await tx.connection.exec_driver_sql(
            f"SELECT organisation_id FROM organisation_identifiers WHERE value = '{N(enterprise)}'")).scalar_one()  # fmt: skip
    async with store.write() as tx:
        c = tx.connection
        pid = f"per_{N(enterprise)}"
        await c.execute(insert(persons).values(id=pid, national_number="85073003328"[:9] + N(enterprise)[-2:],
                                               given_name="An", family_name="Peeters", frozen=False))  # fmt: skip
        await c.execute(insert(administrators).values(id=f"adm_{pid}", organisation_id=org, person_id=pid, main=True,
                                                      contact_disclose=False))  # fmt: skip
        await c.execute(insert(grants).values(
            id=f"gra_{pid}", person_id=pid, organisation_id=org, role="VOP", valid_from=NOW,
            valid_until=datetime.datetime(2999, 1, 1, tzinfo=datetime.UTC), granted_by="t", granted_at=NOW,
            reason="t", version=1))  # fmt: skip


async def test_truncated_enterprise_file_is_held_and_ceases_nothing(store: SqlStore, tmp_path: Path) -> None:
    await import_kbo(store, full(tmp_path / "m0", list(range(40))))
    before = await imported(store)
    # enterprise.csv cut in half, mid-line, as an interrupted download or unzip leaves it
    cut = full(tmp_path / "cut", list(range(40)))
    body = (cut / "enterprise.csv").read_bytes()
    (cut / "enterprise.csv").write_bytes(body[: len(body) // 2])
    with pytest.raises(ImportHeld, match=r"would cease 2\d organisations.*more than the 0.5 % allowed") as held:
        await import_kbo(store, cut, report=tmp_path / "bad.jsonl")
    assert len(held.value.lines) >= 20 and all(line.startswith("would cease ") for line in held.value.lines)
    assert await imported(store) == before  # nothing written, not even a version
    assert await scalar(store, "SELECT count(*) FROM import_runs") == 1  # no run was even started
    # a wrong confirmation is no confirmation
    with pytest.raises(ImportHeld, match="does not match"):
        await import_kbo(store, cut, confirm_cease=3)
    assert set((await statuses(store)).values()) == {"active"}


async def test_a_zip_cut_short_is_refused_before_anything_is_read(store: SqlStore, tmp_path: Path) -> None:
    await import_kbo(store, full(tmp_path / "m0.zip", list(range(10))))
    whole = full(tmp_path / "m1.zip", list(range(10))).read_bytes()
    (tmp_path / "cut.zip").write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(ImportAbort, match="zip"):
        await import_kbo(store, tmp_path / "cut.zip")
    assert set((await statuses(store)).values()) == {"active"}


async def test_protected_organisations_need_confirming_even_when_few(store: SqlStore, tmp_path: Path) -> None:
    await import_kbo(store, full(tmp_path / "m0", list(range(10))))
    await give_rights(store, dotted(3_000_003))
    month = full(tmp_path / "m1", [i for i in range(10) if i not in (3, 7)])
    with pytest.raises(ImportHeld, match="1 of them still have administrators or active grants") as held:
        await import_kbo(store, month, max_cease_percent=50)  # the share alone would let it through
    assert f"would cease {N(dotted(3_000_003))} 'Bedrijf 3': 1 administrators, 1 active grants" in held.value.lines
    counts, lines = await dry_run_kbo(store, month)
    assert counts == {"new": 0, "changed": 0, "ceased": 2, "unchanged": 8, "skipped": 0, "bad_rows": 0,
                      "ceased_with_administrators_or_grants": 1, "administrators_affected": 1,
                      "grants_affected": 1}  # fmt: skip
    assert len(lines) == 2
    assert set((await statuses(store)).values()) == {"active"}  # the dry run wrote nothing
    counts = await import_kbo(store, month, confirm_cease=2)
    assert counts["ceased"] == 2
    status = await statuses(store)
    assert status[N(dotted(3_000_003))] == status[N(dotted(3_000_007))] == "ceased"


async def test_dry_run_shows_new_changed_ceased_unchanged(store: SqlStore, tmp_path: Path) -> None:
    await import_kbo(store, full(tmp_path / "m0", list(range(6))))
    counts, lines = await dry_run_kbo(store, full(tmp_path / "m1", [0, 1, 2, 3, 4, 9], rename={1: "Nieuw 1"}))
    assert (counts["new"], counts["changed"], counts["ceased"], counts["unchanged"]) == (1, 1, 1, 4)
    assert lines == [f"would cease {N(dotted(3_000_005))} 'Bedrijf 5': 0 administrators, 0 active grants"]
    assert await scalar(store, "SELECT count(*) FROM organisations") == 6


async def test_stale_extract_and_update_as_full_are_refused(store: SqlStore, tmp_path: Path) -> None:
    await import_kbo(store, full(tmp_path / "new", list(range(5)), extract=150))
    before = await imported(store)
    with pytest.raises(ImportHeld, match="stale extract.*--force"):
        await import_kbo(store, full(tmp_path / "old", list(range(3)), extract=149))
    with pytest.raises(ImportHeld, match="stale"):
        await import_kbo(store, full(tmp_path / "same", list(range(5)), extract=150))
    upd = write_update(tmp_path / "upd", 151, deletes={}, inserts={})
    with pytest.raises(ImportAbort, match="update extract"):
        await import_kbo(store, upd)
    assert await imported(store) == before
    # forced, an older extract is imported (and still guarded against mass ceasing)
    with pytest.raises(ImportHeld, match="would cease 2"):
        await import_kbo(store, full(tmp_path / "old", list(range(3)), extract=149), force=True)


async def test_published_zip_is_read_in_place(store: SqlStore, tmp_path: Path) -> None:
    z = full(tmp_path / "KboOpenData_0150_2026_11_Full.zip", list(range(5)))
    with zipfile.ZipFile(z) as archive:
        assert "enterprise.csv" in archive.namelist()
    counts = await import_kbo(store, z)
    assert counts["created"] == 5
    assert not any(p.suffix == ".csv" for p in tmp_path.rglob("*"))  # never unpacked to disk


async def test_update_extracts_apply_in_order_and_refuse_a_gap(store: SqlStore, tmp_path: Path) -> None:
    await import_kbo(store, full(tmp_path / "m0", list(range(300)), extract=200))
    three, four, new = dotted(3_000_003), dotted(3_000_004), dotted(3_000_500)
    shop = establishment_number(30_000_004)
    # 201: enterprise 3 renamed and moved, a new enterprise, a new unit of 4 with a name;
    # 202: enterprise 5 withdrawn, the unit renamed
    u201 = write_update(tmp_path / "u201.zip", 201, deletes={"denomination": [three], "address": [three]}, inserts={
        "enterprise": [q(new, "AC", "000", "2", "411", "", "01-10-2026")],
        "denomination": [q(three, "2", "001", "Drie Nieuw"), q(three, "1", "001", "Trois"), q(new, "2", "001", "Gemeente Nieuw"),
                         q(shop, "2", "003", "Winkel Vier")],
        "address": [q(three, "REGO", "", "", "9000", "Gent", "Gand", "Veldstraat", "", "1", "", "", "")],
        "establishment": [q(shop, "01-10-2026", four)],
    })  # fmt: skip
    u202 = write_update(tmp_path / "u202", 202, deletes={"enterprise": [dotted(3_000_005)], "denomination": [shop]},
                        inserts={"denomination": [q(shop, "2", "003", "Winkelhuis Vier")]})  # fmt: skip
    u204 = write_update(tmp_path / "u204", 204, deletes={}, inserts={})
    with pytest.raises(ImportAbort, match="gap"):
        await import_kbo_extracts(store, [u204])
    counts, lines = await dry_run_kbo(store, u201)  # an update's dry run: nothing written
    assert (counts["new"], counts["changed"], counts["ceased"], counts["unchanged"]) == (1, 1, 0, 0) and lines == []
    assert N(new) not in await imported(store)
    counts = await import_kbo_extracts(store, [u202, u201])  # given out of order: applied 201 then 202
    assert counts["ceased"] == 1 and counts["created"] == 1 and counts["updated"] == 1
    after = await imported(store)
    assert after[N(three)][1:6] == ("Drie Nieuw", None, "active", "9000", "Veldstraat")
    assert after[N(new)][0:2] == ("local_government", "Gemeente Nieuw")
    assert after[N(dotted(3_000_005))][3] == "ceased"
    assert sum(1 for v in after.values() if v[3] == "active") == 300
    async with store.read() as tx:
        for query in (N(shop), "winkel vier", "winkelhuis vier"):
            assert [m.organisation.name for m in await find(tx, query)][:1] == ["Bedrijf 4"], query
    with pytest.raises(ImportHeld, match="stale"):
        await import_kbo_extracts(store, [u202])
    # a later full extract is compared with what the updates left: only its own differences count
    ents, names, addresses = register([i for i in range(300) if i != 5], rename={3: "Drie Nieuw"})
    counts = await import_kbo(store, write_dump(tmp_path / "m1", ents, names, addresses, [], extract=203),
                              confirm_cease=1)  # fmt: skip
    assert (counts["updated"], counts["ceased"], counts["unchanged"]) == (1, 1, 298)  # 3 moved back; new gone


async def test_cli_exit_codes_say_what_was_held(store: SqlStore, store_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "RIGHTS_DATABASE_URL": store_url, "RIGHTS_DATA_DIR": str(tmp_path),
           "RIGHTS_SEED_WHEN_EMPTY": "false"}  # fmt: skip

    def rights(*args: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run([RIGHTS, "import", "kbo", *map(str, args)], env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip

    first = rights(full(tmp_path / "m0.zip", list(range(20))))
    assert first.returncode == 0, first.stderr
    cut = full(tmp_path / "m1", list(range(10)))
    held = rights(cut)
    assert held.returncode == 3 and "HELD" in held.stderr and "--confirm-cease 10" in held.stderr
    assert held.stdout.count("would cease") == 10
    dry = rights(cut, "--dry-run")
    assert dry.returncode == 0 and "ceased 10" in dry.stdout and "unchanged 10" in dry.stdout
    stale = rights(tmp_path / "m0.zip")
    assert stale.returncode == 3 and "stale" in stale.stderr
    refused = rights(write_update(tmp_path / "gap", 999, deletes={}, inserts={}))
    assert refused.returncode == 2 and "gap" in refused.stderr
    done = rights(cut, "--confirm-cease", "10")
    assert done.returncode == 0 and "ceased 10" in done.stdout
    bad = full(tmp_path / "m2", list(range(10)))
    (bad / "enterprise.csv").write_bytes((bad / "enterprise.csv").read_bytes() + b'"0200.000.198","AC"\r\n')
    rows = rights(bad, "--report", tmp_path / "bad.jsonl")
    assert rows.returncode == 1 and "rows refused: 1" in rows.stderr
    assert [(b.file, b.reason) for b in read_report(tmp_path / "bad.jsonl")] == [("enterprise.csv", "column_count")]
