"""An organisation's rights as CSV, and granting a CSV file of rights at once (issue 5, item 2).

- ``GET  /beheer/organisations/{id}/rights.csv[?all=1]``: the export (see docs/screens.md for the columns).
- ``GET  /beheer/organisations/{id}/upload``: the file input, the format and the rights one may grant here.
- ``POST /beheer/organisations/{id}/upload`` (multipart): the preview — per line what would happen or what
  is wrong (column, message, how to fix). Any error refuses the whole file and offers no apply button.
- ``POST /beheer/organisations/{id}/upload/apply``: the preview's hidden copy of the file (with internal
  person ids, never national numbers) is checked again in full and granted in one transaction.

The rules live in ``rights.domain.bulk`` and ``GrantFileService``; this module only reads forms and shows.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.domain import bulk
from rights.domain import identifiers as ids
from rights.domain.errors import DomainError
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.grant_files import GrantFileService
from rights.web import beheer_views as views
from rights.web.beheer import _lang, _opt, _refused, screen
from rights.web.beheer_bulk_texts import BULK_TEXTS
from rights.web.beheer_forms import text_of
from rights.web.i18n import TEXTS, Texts, texts

assert not set(BULK_TEXTS) & set(TEXTS), "a bulk upload text key collides with another screen's"
TEXTS.update(BULK_TEXTS)

# The request may carry the file (1 MiB) as multipart, or the apply form's URL-encoded copy of it.
BODY_LIMIT = 4 * bulk.MAX_BYTES
SAMPLE = ("national_number,role,measure,valid_until,reason\r\n"
          "90010100123,DWSEOrganisatieverantwoordelijke,AWI,31/12/2027,Aanwervingsincentive aanvragen\r\n"
          "90.01.01-001.23,Opleidingsverlof,,,\"Opleidingsverlof, terugbetaling\"\r\n")
HEADER_CODES = ("bulk_missing_columns", "bulk_unknown_columns", "bulk_person_column")
COLUMN_OF = {"person": None, "user_type": None, "valid_from": "valid_until", "application": "role",
             "organisation": "", "line": "", "file": "", "national_number": "national_number"}


def _files(services: Services) -> GrantFileService:
    return GrantFileService(services.core, services.grants)


def _message(exc: DomainError, lang: str) -> str:
    return exc.message_en if lang == "en" else exc.message_nl


def _fix(t: Texts, exc: DomainError, column: str) -> str:
    code = "bulk_missing_columns" if exc.code in HEADER_CODES else exc.code
    return t.get(f"bulk_fix_{code}") or t.get(f"bulk_fix_col_{column}", "")


def file_error(exc: DomainError, t: Texts, lang: str) -> dict[str, str]:
    return {"file": " ".join(filter(None, (f"{t.bulk_file_label}: {_message(exc, lang)}", _fix(t, exc, "file"))))}


def _line_view(o: bulk.Outcome, t: Texts, lang: str) -> dict[str, Any]:
    row = o.row
    if o.person is not None:
        who = f"{ids.mask_national_number(o.person.national_number)} {o.person.display_name}"
    else:  # as typed, but a national number only masked (an invalid one not at all)
        who = row.ref if row.by == "person" else (ids.mask_national_number(row.ref) if row.ref else "—")
    problems = []
    for exc in o.problems:
        column = COLUMN_OF.get(exc.field or "", exc.field or "")
        column = row.by if column is None else column
        where = t.bulk_column.format(column=column) if column else t.bulk_whole_line
        problems.append(" ".join(filter(None, (f"{where}: {_message(exc, lang)}", _fix(t, exc, column)))))
    measure = t.bulk_measure.format(measure=o.measure.name) if o.measure else ""
    what = ""
    if o.action == "grant" and o.role and o.valid_until:
        what = t.bulk_will_grant.format(role=o.role.name, code=o.role.code, measure=measure,
                                        until=views.day(o.valid_until))
    elif o.action == "skip" and o.role and o.existing:
        what = t.bulk_will_skip.format(role=o.role.name, measure=measure, until=views.day(o.existing.valid_until))
    return {"line": row.line, "who": who, "action": o.action, "what": what, "problems": problems}


def _filename(services: Services, org: Any, at: Any) -> str:
    number = services.core.catalogue.organisation_code(org) or org.id
    return f"rechten-{re.sub(r'[^A-Za-z0-9._-]', '', number)}-{at:%Y-%m-%d}.csv"


class BulkScreen(Controller):
    path = "/beheer/organisations/{org_id:str}"
    include_in_schema = False
    exception_handlers = {DomainError: _refused}  # noqa: RUF012

    @get("/rights.csv", opt=_opt(Permission.GRANTS_READ))
    async def export(self, services: Services, caller: Caller, org_id: str,
                     everything: str = Parameter(query="all", default="", max_length=5),
                     lang: str = Parameter(query="lang", default="nl", pattern="^(nl|en)$")) -> Response[bytes]:
        org, rows = await _files(services).export(caller, org_id, inactive=everything in ("1", "true", "yes"))
        name = _filename(services, org, services.core.now())
        return Response(bulk.export_csv(rows, lang), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Cache-Control": "no-store"})

    async def _form(self, request: Request, services: Services, caller: Caller, org_id: str,
                    errors: dict[str, str], status: int = 200) -> Template:
        org, admin = await views.my_administration(services, caller, org_id)
        return screen(request, "beheer_upload.html", status=status, org=org, errors=errors, sample=SAMPLE,
                      options=views.right_options(services, org, admin))

    @get("/upload", opt=_opt(Permission.GRANTS_MANAGE))
    async def upload_form(self, request: Request, services: Services, caller: Caller, org_id: str) -> Template:
        return await self._form(request, services, caller, org_id, {})

    @post("/upload", opt=_opt(Permission.GRANTS_MANAGE), request_max_body_size=BODY_LIMIT)
    async def upload(self, request: Request, services: Services, caller: Caller, org_id: str,
                     data: dict[str, Any] = Body(media_type=RequestEncodingType.MULTI_PART)) -> Template:
        org, _ = await views.my_administration(services, caller, org_id)
        lang = _lang(request)
        t = texts(lang)
        upload = data.get("file")
        if isinstance(upload, list):
            upload = upload[-1] if upload else None
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await self._form(request, services, caller, org_id, {"file": t.bulk_err_no_file}, 422)
        content = await upload.read(bulk.MAX_BYTES + 1)
        try:
            plan = await _files(services).preview(caller, org.id, content)
        except DomainError as exc:
            if exc.field != "file":
                raise
            return await self._form(request, services, caller, org_id, file_error(exc, t, lang), 422)
        return self._preview(request, org, plan, t, lang)

    @post("/upload/apply", opt=_opt(Permission.GRANTS_MANAGE), status_code=303, request_max_body_size=BODY_LIMIT)
    async def apply(self, request: Request, services: Services, caller: Caller, org_id: str,
                    data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED)) -> Template | Redirect:
        org, _ = await views.my_administration(services, caller, org_id)
        lang = _lang(request)
        t = texts(lang)
        content = text_of(data, "content", 2 * bulk.MAX_BYTES).encode("utf-8")
        try:  # never trusted: the whole copy is read and checked again, inside the write transaction
            plan = await _files(services).apply(caller, org.id, content, text_of(data, "plan", 100))
        except DomainError as exc:
            if exc.field != "file":
                raise
            return await self._form(request, services, caller, org_id, file_error(exc, t, lang), 422)
        if plan.applied:
            return Redirect(f"/beheer/organisations/{org.id}?done=bulk_applied", status_code=303)
        return self._preview(request, org, plan, t, lang)

    def _preview(self, request: Request, org: Any, plan: bulk.Plan, t: Texts, lang: str) -> Template:
        lines = [_line_view(o, t, lang) for o in plan.outcomes]
        bad = [ln for ln in lines if ln["action"] == "error"]
        changed = _message(DomainError("bulk_changed"), lang) if plan.changed else None
        status = 422 if bad else 409 if plan.changed else 200
        return screen(request, "beheer_upload_preview.html", status=status, org=org, lines=lines, bad=bad,
                      changed=changed, fingerprint=plan.fingerprint, grant=plan.count("grant"),
                      skip=plan.count("skip"), content=bulk.normalised(plan.outcomes) if not bad else "")
