"""``rights import kbo|organisations|schools`` and ``rights generate kbo``: thin commands over rights.imports.

Exit codes say what happened (docs/imports.md): 0 imported, every row taken; 1 imported, but rows were
refused (listed in the report); 2 refused, nothing written (unreadable, unsorted or incomplete input);
3 held, nothing written (a stale extract, or ceasing that needs ``--confirm-cease N``).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click


def _store():  # type: ignore[no-untyped-def]
    from rights.settings import SettingsError, load_settings
    from rights.storage import create_store

    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    return settings, create_store(settings.database)


def _report_path(report: Path | None, source: str) -> Path:
    if report is not None:
        return report
    settings, _ = _store()
    return settings.data_dir / "imports" / f"{source}-bad-rows.jsonl"


def _run(source: str, report: Path | None, work) -> None:  # type: ignore[no-untyped-def]
    """Run ``work(store, report_path, progress)`` with a rich progress bar and print the counts."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from rights.imports.rows import ImportAbort, ImportHeld

    settings, store = _store()
    path = _report_path(report, source)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rows]:>10,} rows"),
               TextColumn("{task.fields[rate]:>8,.0f} rows/s"), TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(phase: str, done: int, total: int, rows: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total, rows=0, rate=0.0)
            task = bar.tasks[tasks[phase]]
            rate = rows / task.elapsed if task.elapsed else 0.0
            bar.update(tasks[phase], completed=done, rows=rows, rate=rate)

        async def main() -> dict[str, int]:
            try:
                return await work(store, path, progress)
            finally:
                await store.close()

        try:
            counts = asyncio.run(main())
        except ImportHeld as exc:
            for line in exc.lines:
                click.echo(line)
            click.echo(f"HELD: {exc}", err=True)
            raise SystemExit(exc.exit_code) from None
        except ImportAbort as exc:
            click.echo(f"REFUSED, nothing ceased: {exc}", err=True)
            raise SystemExit(exc.exit_code) from None
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items() if not isinstance(v, list)))
    if counts.get("bad_rows"):
        click.echo(f"rows refused: {counts['bad_rows']}, each with its key and field in {path}", err=True)
        raise SystemExit(1)


@click.group("import")
def import_group() -> None:
    """Load the public registers (KBO, organisation register, education institutions)."""


@import_group.command("kbo")
@click.argument("dumps", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="bad-rows report (JSON lines)")
@click.option("--batch-size", default=5000, show_default=True)
@click.option("--local-government-forms", default=None, help="comma-separated JuridicalForm codes")
@click.option("--dry-run", is_flag=True, help="write nothing; show new / changed / ceased / unchanged")
@click.option("--confirm-cease", type=click.IntRange(min=0), default=None, metavar="N",
              help="go on with a held import that would cease exactly N organisations")  # fmt: skip
@click.option("--max-cease-percent", type=click.FloatRange(0, 100), default=None,
              help="hold when ceasing more than this share (default: RIGHTS_IMPORT_MAX_CEASE_PERCENT)")
@click.option("--force", is_flag=True, help="import an extract not newer than the last one imported")
def import_kbo_command(dumps: tuple[Path, ...], report: Path | None, batch_size: int,
                       local_government_forms: str | None, dry_run: bool, confirm_cease: int | None,
                       max_cease_percent: float | None, force: bool) -> None:  # fmt: skip
    """Import KBO open-data extracts: the published zip or its unpacked folder.

    A full extract (meta.csv ExtractType=full) replaces the register; update extracts (ExtractType=update,
    *_delete.csv and *_insert.csv) are applied in extract-number order, and a gap is refused.
    """
    from rights.imports.kbo import LOCAL_GOVERNMENT_FORMS, dry_run_kbo, import_kbo_extracts

    forms = LOCAL_GOVERNMENT_FORMS
    if local_government_forms:
        forms = frozenset(c.strip() for c in local_government_forms.split(",") if c.strip())
    settings, _ = _store()
    share = settings.import_max_cease_percent if max_cease_percent is None else max_cease_percent
    if dry_run:
        if len(dumps) != 1:
            raise click.UsageError("--dry-run takes one extract")

        async def dry(store, path, progress):  # type: ignore[no-untyped-def]
            counts, lines = await dry_run_kbo(store, dumps[0], batch_size=batch_size, local_forms=forms, force=force)
            for line in lines:
                click.echo(line)
            click.echo("dry run, nothing written:")
            return counts

        _run("kbo", report, dry)
        return
    _run("kbo", report, lambda store, path, progress: import_kbo_extracts(
        store, list(dumps), report=path, batch_size=batch_size, local_forms=forms, progress=progress,
        force=force, confirm_cease=confirm_cease, max_cease_percent=share))  # fmt: skip


@import_group.command("organisations")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="bad-rows report (JSON lines)")
def import_organisations_command(file: Path, report: Path | None) -> None:
    """Import the Flemish organisation register export (JSON lines, see docs/imports.md).

    Successions the register states are proposed (never applied): see docs/successions.md."""
    from rights.imports.register import import_organisations
    from rights.policies import default_policies_dir, load_catalogue

    settings, _ = _store()
    catalogue = load_catalogue(settings.policies_dir or default_policies_dir())  # to check proposed successions
    _run("ovo", report, lambda store, path, progress: import_organisations(store, file, report=path,
                                                                          catalogue=catalogue))


@import_group.command("schools")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="bad-rows report (JSON lines)")
def import_schools_command(file: Path, report: Path | None) -> None:
    """Import the education institutions list (';'-separated, UTF-8 with BOM)."""
    from rights.imports.schools import import_schools

    _run("schools", report, lambda store, path, progress: import_schools(store, file, report=path))


@click.group("convert")
def convert_group() -> None:
    """Turn a register's published file into the form `rights import` reads."""


@convert_group.command("schools")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--map", "mappings", multiple=True, metavar="OURS=THEIRS",
              help="which published column holds one of ours, e.g. schoolbestuur='KBO-nummer bestuur'")  # fmt: skip
def convert_schools_command(source: Path, target: Path, mappings: tuple[str, ...]) -> None:
    """Convert the education department's list of institutions (CSV as published or saved from the
    spreadsheet) into the `;`-separated UTF-8 file `rights import schools` reads."""
    from rights.imports.convert import convert_schools
    from rights.imports.rows import ImportAbort

    mapping = {}
    for m in mappings:
        ours, sep, theirs = m.partition("=")
        if not sep:
            raise click.UsageError(f"--map {m!r}: expected OURS=THEIRS")
        mapping[ours.strip()] = theirs.strip()
    try:
        counts = convert_schools(source, target, mapping)
    except ImportAbort as exc:
        click.echo(f"REFUSED: {exc}", err=True)
        raise SystemExit(exc.exit_code) from None
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


@click.group("generate")
def generate_group() -> None:
    """Synthetic test data."""


@generate_group.command("kbo")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--enterprises", default=10_000, show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--month", default=0, show_default=True, help="0: base dump; 1: the next month's (churn)")
@click.option("--bad-rows", is_flag=True, help="plant one bad row of each kind")
def generate_kbo_command(directory: Path, enterprises: int, seed: int, month: int, bad_rows: bool) -> None:
    """Write a synthetic KBO open-data dump (valid numbers, Belgian names, sorted files)."""
    from rights.imports.generate import generate_kbo

    stats = generate_kbo(directory, enterprises, seed=seed, month=month, bad_rows=bad_rows)
    click.echo(", ".join(f"{k} {v}" for k, v in stats.items()))


__all__ = ["convert_group", "generate_group", "import_group"]
