"""/beheer: add a person to an organisation (issue 5, item 2).

An administrator picks a person they already know (staff of another organisation they administer) or
types a national register (or BIS) number with the person's names, and a user type this organisation
type may record. The screen checks the form first (the number with rights.domain.identifiers, the user
type with the same rule the use case applies) so that a refusal writes nothing; then
``PeopleService.register`` (an already registered number gives that person as is) and
``PeopleService.add_work_relation``. The full number is only ever shown back in this form, to the
administrator who typed it; lists show the masked form. ``static/beheer_nrn.js`` checks the check digits
as one types (progressive enhancement: the form works the same without it).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.domain import identifiers, rules
from rights.domain.commands import NewPerson, NewWorkRelation
from rights.domain.errors import DomainError
from rights.domain.model import Organisation, Person, UserType
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.web import beheer_more_texts  # noqa: F401  (merges the texts)
from rights.web import beheer_views as views
from rights.web.beheer import FORM, _lang, _opt, _refused, _status, screen
from rights.web.beheer_forms import text_of
from rights.web.i18n import Texts, texts

FIELDS = ("existing", "national_number", "given_name", "family_name", "user_type")
# Which form field a refusal of the core concerns.
FIELD_OF = {"national_number": "national_number", "person": "national_number", "user_type": "user_type",
            "given_name": "given_name", "family_name": "family_name"}
LABEL_OF = {"national_number": "f_national_number", "user_type": "f_user_type", "existing": "addperson_existing",
            "given_name": "f_given_name", "family_name": "f_family_name"}


async def known_people(services: Services, caller: Caller, org: Organisation) -> list[dict[str, str]]:
    """People with an active work relation in another organisation the caller administers, not yet here."""
    now = services.core.now()
    here = {p.id for p in (await views.people_page(services, caller, org.id, 1_000_000))["people"]}
    found: dict[str, Person] = {}
    for o in await views.my_organisations(services, caller):
        if o["admin"] and o["id"] != org.id:
            for w, p in await services.people.work_relations(caller, o["id"]):
                if w.active_at(now) and p.id not in here:
                    found[p.id] = p
    people = sorted(found.values(), key=lambda p: (p.family_name.lower(), p.given_name.lower()))
    return [{"id": p.id, "name": p.display_name, "masked": identifiers.mask_national_number(p.national_number)}
            for p in people]


def person_errors(form: dict[str, str], t: Texts, *, known: set[str], user_types: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if form["existing"] and form["national_number"]:
        errors["national_number"] = t.err_nrn_both
    elif form["existing"]:
        if form["existing"] not in known:
            errors["existing"] = t.err_existing
    else:
        try:
            identifiers.parse_national_number(form["national_number"])
        except identifiers.IdentifierError as exc:  # the message names the field, never the number
            errors["national_number"] = t.get(f"err_nrn_{exc.reason}", t.err_nrn_format)
        for f in ("given_name", "family_name"):
            if not 1 <= len(form[f]) <= 300:
                errors[f] = t[f"err_{f}"]
    if form["user_type"] not in user_types and form["user_type"] not in {u.value for u in UserType}:
        errors["user_type"] = t.err_user_type
    return errors


def refusal_on_field(exc: DomainError, t: Texts, lang: str) -> dict[str, str]:
    field = FIELD_OF.get(exc.field or "", "national_number")
    message = exc.message_en if lang == "en" else exc.message_nl
    return {field: f"{t[LABEL_OF[field]]}: {message}"}


class BeheerPeopleScreen(Controller):
    path = "/beheer/organisations/{org_id:str}/people"
    include_in_schema = False
    exception_handlers = {DomainError: _refused}  # noqa: RUF012

    async def _context(self, services: Services, caller: Caller, org_id: str) -> dict[str, Any]:
        org, _ = await views.my_administration(services, caller, org_id)
        policy = services.core.catalogue.org_type(org.type)
        return {"org": org, "known": await known_people(services, caller, org),
                "user_types": [u.value for u in policy.user_types]}

    @get("/new", opt=_opt(Permission.PEOPLE_MANAGE))
    async def form(self, request: Request, services: Services, caller: Caller, org_id: str) -> Template:
        ctx = await self._context(services, caller, org_id)
        form = dict.fromkeys(FIELDS, "")
        return screen(request, "beheer_addperson.html", form=form, errors={}, **ctx)

    @post("/new", opt=_opt(Permission.PEOPLE_MANAGE), status_code=303)
    async def add(self, request: Request, services: Services, caller: Caller, org_id: str,
                  data: dict[str, Any] = FORM) -> Template | Redirect:
        ctx = await self._context(services, caller, org_id)
        lang = _lang(request)
        t = texts(lang)
        form = {k: text_of(data, k, 301 if k.endswith("name") else 100) for k in FIELDS}
        errors = person_errors(form, t, known={p["id"] for p in ctx["known"]}, user_types=ctx["user_types"])
        status = 422
        if not errors:
            try:
                user_type = UserType(form["user_type"])
                # The rule the use case applies, first: a refused user type must not leave a new person behind.
                rules.ensure_user_type_allowed(services.core.catalogue.org_type(ctx["org"].type), user_type)
                person_id = form["existing"]
                if not person_id:
                    written, _created = await services.people.register(caller, NewPerson(
                        national_number=form["national_number"], given_name=form["given_name"],
                        family_name=form["family_name"]))
                    person_id = written.value.id
                await services.people.add_work_relation(caller, ctx["org"].id,
                                                        NewWorkRelation(person=person_id, user_type=user_type))
                return Redirect(f"/beheer/organisations/{ctx['org'].id}?done=addperson_done", status_code=303)
            except DomainError as exc:
                if exc.kind == "forbidden":
                    raise
                status = _status(exc)
                errors = refusal_on_field(exc, t, lang)
        return screen(request, "beheer_addperson.html", status=status, form=form, errors=errors, **ctx)
