"""Overview exports of local administrators per organisation (type), as CSV and PDF.

For platform administrators only (``Permission.EXPORTS_READ``), by bearer token under /v1/exports and
from the screens under /helpline/exports. Names and main-or-not always; e-mail and phone only where the
administrator agreed to disclose them. Every export is audited (``administrators_export``).
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from fpdf import FPDF
from litestar import Controller, Response, get
from litestar.params import Parameter
from sqlalchemy import select

from rights.api.permissions import Permission
from rights.domain.csvfile import Column, write_csv
from rights.domain.model import AuditEvent, Organisation, OrgType
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.people import administrator_entries
from rights.storage.tables import administrators, organisations
from rights.web.helpline import identifiers_view
from rights.web.i18n import texts

TITLE = "Overzicht lokale beheerders"
COLUMNS = (
    Column("org_type", "organisatietype", "organisation type"),
    Column("organisation", "organisatie", "organisation"),
    Column("identifier", "identificatie", "identifier"),
    Column("administrator", "beheerder", "administrator"),
    Column("main", "hoofdbeheerder", "main administrator"),
    Column("email", "e-mail", "e-mail"),
    Column("phone", "telefoon", "phone"),
)
HEADER = tuple(c.nl for c in COLUMNS)


class ExportRow(msgspec.Struct, frozen=True):
    org_type: str
    organisation: str
    identifier: str
    administrator: str
    main: bool
    email: str
    phone: str


async def export_rows(services: Services, caller: Caller, org_type: OrgType | None, fmt: str) -> list[ExportRow]:
    out: list[ExportRow] = []
    async with services.core.store.write() as tx:
        query = (select(administrators.c.organisation_id).distinct()
                 .join(organisations, organisations.c.id == administrators.c.organisation_id)
                 .where(administrators.c.removed_at.is_(None)))
        if org_type is not None:
            query = query.where(organisations.c.type == org_type.value)
        org_ids = list((await tx.connection.execute(query)).scalars())  # type: ignore[attr-defined]
        orgs: list[Organisation] = [o for i in org_ids if (o := await tx.get_organisation(i)) is not None]
        for org in sorted(orgs, key=lambda o: (o.type.value, o.name.casefold(), o.id)):
            ident = identifiers_view(org)
            for e in await administrator_entries(tx, org.id):
                c = e.administrator.contact
                out.append(ExportRow(org.type.value, org.name, ident[0][1] if ident else "", e.person.display_name,
                                     e.administrator.main, (c.email or "") if c.disclose else "",
                                     (c.phone or "") if c.disclose else ""))
        await tx.audit(AuditEvent(
            at=services.core.now(), actor=caller.subject, actor_kind=caller.kind.value,
            action="administrators_export", request_id=caller.request_id, address=caller.address,
            details={"format": fmt, "type": org_type.value if org_type else None, "rows": len(out)},
        ))
    return out


def to_csv(rows: list[ExportRow], lang: str = "nl") -> bytes:
    """The shared export format (rights.domain.csvfile): ``;``, UTF-8 with BOM, Dutch or English headers."""
    t = texts(lang)
    yes, no = ("yes", "no") if lang == "en" else ("ja", "nee")
    return write_csv(COLUMNS, ([t[r.org_type], r.organisation, r.identifier, r.administrator, yes if r.main else no,
                                r.email, r.phone] for r in rows), lang)


def _latin1(text: str) -> str:
    # The PDF's core font (Helvetica) covers Latin-1: every Dutch, French and German name.
    return text.encode("latin-1", "replace").decode("latin-1")


def to_pdf(rows: list[ExportRow], org_type: OrgType | None, at: datetime) -> bytes:
    nl = texts("nl")
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(TITLE)
    pdf.set_author("rights")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    scope = nl[org_type.value] if org_type else "alle organisatietypes"
    pdf.cell(0, 6, _latin1(f"{scope} - {at:%d-%m-%Y %H:%M} UTC - {len(rows)} beheerders"), new_x="LMARGIN",
             new_y="NEXT")
    pdf.ln(2)
    with pdf.table(col_widths=(28, 60, 26, 45, 18, 55, 35), text_align="LEFT", line_height=5) as table:
        table.row(HEADER)
        for r in rows:
            table.row([_latin1(v) for v in (nl[r.org_type], r.organisation, r.identifier, r.administrator,
                                            "ja" if r.main else "nee", r.email, r.phone)])
    return bytes(pdf.output())


async def _csv(services: Services, caller: Caller, org_type: OrgType | None, lang: str) -> Response[bytes]:
    rows = await export_rows(services, caller, org_type, "csv")
    return Response(to_csv(rows, lang), media_type="text/csv",  # Litestar adds "; charset=utf-8"
                    headers={"Content-Disposition": 'attachment; filename="lokale-beheerders.csv"'})


async def _pdf(services: Services, caller: Caller, org_type: OrgType | None) -> Response[bytes]:
    rows = await export_rows(services, caller, org_type, "pdf")
    return Response(to_pdf(rows, org_type, services.core.now()), media_type="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="lokale-beheerders.pdf"'})


TypeParam = Parameter(default=None, description="Only this organisation type")
LangParam = Parameter(query="lang", default="nl", pattern="^(nl|en)$", description="Header language: nl or en")


class ExportController(Controller):
    path = "/v1/exports"
    tags = ["exports"]

    @get("/administrators.csv", opt={"permission": Permission.EXPORTS_READ}, media_type="text/csv")
    async def csv(self, services: Services, caller: Caller, type: OrgType | None = TypeParam,  # noqa: A002
                  lang: str = LangParam) -> Response[bytes]:
        """Local administrators per organisation as CSV (contact only where disclosed)."""
        return await _csv(services, caller, type, lang)

    @get("/administrators.pdf", opt={"permission": Permission.EXPORTS_READ},
         media_type="application/pdf")
    async def pdf(self, services: Services, caller: Caller, type: OrgType | None = TypeParam) -> Response[bytes]:  # noqa: A002
        """The same as a PDF titled "Overzicht lokale beheerders"."""
        return await _pdf(services, caller, type)


class ExportScreen(Controller):
    path = "/helpline/exports"
    include_in_schema = False
    opt = {"permission": Permission.EXPORTS_READ, "session": True}

    @get("/administrators.csv")
    async def csv(self, services: Services, caller: Caller, type: OrgType | None = TypeParam,  # noqa: A002
                  lang: str = LangParam) -> Response[bytes]:
        return await _csv(services, caller, type, lang)

    @get("/administrators.pdf")
    async def pdf(self, services: Services, caller: Caller, type: OrgType | None = TypeParam) -> Response[bytes]:  # noqa: A002
        return await _pdf(services, caller, type)
