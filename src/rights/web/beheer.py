"""The local administrators' and persons' screens at /beheer (issue 5, first slice).

My organisations (and which one I act for), per organisation the people and their rights, grant (with a
confirmation page in plain words), revoke, appoint and remove local administrators, and "my rights".
Plain HTML forms (no JavaScript needed), the session and CSRF of rights.web.session, the persons come
from the demo persona picker. Every write goes through the use cases, which decide who may do what;
a refusal is shown as a page (or as a form error on its field), never as a stack trace.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.api.problems import STATUS_BY_KIND, refusal_audit
from rights.domain.commands import Appointment, NewGrant, Removal, Revocation
from rights.domain.errors import DomainError, Forbidden, NotFound
from rights.domain.model import ContactCard
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.web import beheer_views as views
from rights.web.beheer_forms import (
    appoint_errors,
    domain_errors,
    grant_errors,
    in_words,
    list_of,
    parse_day,
    reason_errors,
    text_of,
    until_of,
)
from rights.web.beheer_texts import BEHEER_TEXTS
from rights.web.i18n import TEXTS, pick_lang, texts
from rights.web.session import page

assert not set(BEHEER_TEXTS) & set(TEXTS), "a /beheer text key collides with a helpline one"
TEXTS.update(BEHEER_TEXTS)

GRANT_FIELDS = ("person", "right", "valid_until", "reason")  # the grant form's fields
FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
DONE = ("granted", "revoked", "appointed", "removed", "addperson_done", "bulk_applied", "relation_ended")


def _opt(permission: Permission) -> dict[str, Any]:
    return {"permission": permission, "session": True}


def screen(request: Request, name: str, status: int = 200, **context: Any) -> Template:
    acting = request.session.get("acting_for")
    return page(request, name, status=status, home="/beheer", brand_key="beheer_app", acting=acting, **context)


def _lang(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.session.get("lang"))


def _status(exc: DomainError) -> int:
    return next((s for cls, s in STATUS_BY_KIND.items() if isinstance(exc, cls)), 400)


def _refused(request: Request, exc: DomainError) -> Template:
    status = _status(exc)
    message = in_words(exc, _lang(request), request.app.state.services.core.catalogue)
    response = screen(request, "beheer_refused.html", status=status, message=message)
    if status == 403:  # a refused attempt is audited on the screens as in the API
        response.background = refusal_audit(request, exc.code)
    return response


class BeheerScreen(Controller):
    path = "/beheer"
    include_in_schema = False
    exception_handlers = {DomainError: _refused}  # noqa: RUF012

    # --- my organisations and whom I act for ----------------------------------------------------

    @get("/", opt=_opt(Permission.RIGHTS_LIST))
    async def home(self, request: Request, services: Services, caller: Caller,
                   done: str | None = Parameter(query="done", default=None, max_length=20)) -> Template:
        orgs = await views.my_organisations(services, caller)
        if len(orgs) == 1:
            request.session["acting_for"] = {"id": orgs[0]["id"], "name": orgs[0]["name"]}
        return screen(request, "beheer_home.html", orgs=orgs, choose=len(orgs) > 1)

    @post("/act-for", opt=_opt(Permission.RIGHTS_LIST), status_code=303)
    async def act_for(self, request: Request, services: Services, caller: Caller,
                      data: dict[str, Any] = FORM) -> Redirect:
        org_id = text_of(data, "organisation", 100)
        org = next((o for o in await views.my_organisations(services, caller) if o["id"] == org_id), None)
        if org is None:  # acting for an organisation one has no role in is refused, not ignored
            raise Forbidden("not_own_data", "organisation")
        request.session["acting_for"] = {"id": org["id"], "name": org["name"]}
        return Redirect(f"/beheer/organisations/{org_id}" if org["admin"] else "/beheer/me", status_code=303)

    @get("/me", opt=_opt(Permission.RIGHTS_LIST))
    async def my_rights(self, request: Request, services: Services, caller: Caller) -> Template:
        if caller.person_id is None:
            raise NotFound("unknown_person", "person")
        now = services.core.now()
        grants = [g for g in await services.grants.of_person(caller, "me") if views.active(g, now)]
        blocks = []
        for org in await views.my_organisations(services, caller):
            admins = await services.people.administrators(caller, org["id"])
            blocks.append({**org, "grants": [views.grant_view(services, g) for g in grants
                                             if g.organisation_id == org["id"]],
                           "admins": [{"name": e.person.display_name, "main": e.administrator.main,
                                       "email": e.administrator.contact.email
                                       if e.administrator.contact.disclose else None} for e in admins]})
        return screen(request, "beheer_me.html", blocks=blocks)

    # --- one organisation ---------------------------------------------------------------------

    @get("/organisations/{org_id:str}", opt=_opt(Permission.PEOPLE_READ))
    async def organisation(self, request: Request, services: Services, caller: Caller, org_id: str,
                           page_no: int = Parameter(query="page", default=1, ge=1, le=100_000),
                           done: str | None = Parameter(query="done", default=None, max_length=20),
                           name: str = Parameter(query="name", default="", max_length=100),
                           role: str = Parameter(query="role", default="", max_length=100),
                           measure: str = Parameter(query="measure", default="", max_length=100),
                           with_rights: str = Parameter(query="with_rights", default="", max_length=5),
                           ) -> Template:
        filters = views.PeopleFilter(name=name.strip(), role=role.strip(), measure=measure.strip(),
                                     with_rights=bool(with_rights))
        return await self._organisation(request, services, caller, org_id, page_no,
                                        done=done if done in DONE else None, filters=filters)

    async def _organisation(self, request: Request, services: Services, caller: Caller, org_id: str,
                            page_no: int = 1, status: int = 200,
                            filters: views.PeopleFilter | None = None, **extra: Any) -> Template:
        org, admin = await views.my_administration(services, caller, org_id)
        request.session["acting_for"] = {"id": org.id, "name": org.name}
        filters = filters or views.PeopleFilter()
        people = await views.people_page(services, caller, org.id, page_no, filters)
        admins = await services.people.administrators(caller, org.id)
        pending = len(await services.requests.pending(caller, org.id))  # self-registration (beheer_requests)
        from rights.web.beheer_recert import notice  # recertification (beheer_recert imports this module)

        recert = await notice(services, caller, org.id)
        lang = _lang(request)
        # "Verwijderen" only where the removal's own rule accepts it; otherwise the rule, in words.
        removals = {pid: None if exc is None else in_words(exc, lang)
                    for pid, exc in (await services.people.removal_refusals(caller, org.id)).items()}
        return screen(request, "beheer_org.html", status=status, org=org, me=admin, admins=admins, removals=removals,
                      pending_requests=pending, recert=recert, filters=filters, filter_qs=urlencode(filters.query()),
                      filter_roles=views.filter_roles(services, org), **people,
                      **{"done": None, "block": None, **extra})

    # --- grant ----------------------------------------------------------------------------------

    async def _grant_context(self, services: Services, caller: Caller, org_id: str) -> dict[str, Any]:
        org, admin = await views.my_administration(services, caller, org_id)
        people = (await views.people_page(services, caller, org.id, 1_000_000))["people"]
        return {"org": org, "options": views.right_options(services, org, admin), "people": people}

    async def _offered(self, services: Services, caller: Caller, ctx: dict[str, Any], person_id: str) -> None:
        """For a chosen person, only the rights the grant would accept now (asked of the same rules, a
        preview that writes nothing): not what they hold already, nor what they cannot hold."""
        holder = views.person_in(ctx["people"], person_id)
        if holder is None:
            return
        options = [o for opts in ctx["options"].values() for o in opts]
        refusals = await services.grants.grantable(caller, [
            NewGrant(person=holder.id, organisation=ctx["org"].id, role=o.role.code, measure=o.measure, reason="")
            for o in options])
        keep = {o.value for o, refused in zip(options, refusals, strict=True) if refused is None}
        ctx["options"] = {app: kept for app, opts in ctx["options"].items()
                          if (kept := [o for o in opts if o.value in keep])}

    @get("/organisations/{org_id:str}/grant", opt=_opt(Permission.GRANTS_MANAGE))
    async def grant_form(self, request: Request, services: Services, caller: Caller, org_id: str,
                         person: str = Parameter(query="person", default="", max_length=100)) -> Template:
        ctx = await self._grant_context(services, caller, org_id)
        await self._offered(services, caller, ctx, person)
        form = {"person": person, "right": "", "valid_until": "", "reason": ""}
        return screen(request, "beheer_grant.html", form=form, errors={}, **ctx)

    @post("/organisations/{org_id:str}/grant", opt=_opt(Permission.GRANTS_MANAGE))
    async def grant_check(self, request: Request, services: Services, caller: Caller, org_id: str,
                          data: dict[str, Any] = FORM) -> Template:
        """Step 1 → the confirmation page (or the form again with its errors); "edit" goes back."""
        return await self._grant(request, services, caller, org_id, data, commit=False)

    @post("/organisations/{org_id:str}/grant/confirm", opt=_opt(Permission.GRANTS_MANAGE), status_code=303)
    async def grant_confirm(self, request: Request, services: Services, caller: Caller, org_id: str,
                            data: dict[str, Any] = FORM) -> Template | Redirect:
        return await self._grant(request, services, caller, org_id, data, commit=True)

    async def _grant(self, request: Request, services: Services, caller: Caller, org_id: str,
                     data: dict[str, Any], *, commit: bool) -> Template | Redirect:
        ctx = await self._grant_context(services, caller, org_id)
        lang = _lang(request)
        t = texts(lang)
        form = {k: text_of(data, k) for k in ("person", "right", "valid_until", "reason")}
        holder = views.person_in(ctx["people"], form["person"])
        option = views.find_option(ctx["options"], form["right"])
        errors = grant_errors(form, t, person_ok=holder is not None, right_ok=option is not None)
        if data.get("edit") or errors or holder is None or option is None:
            return screen(request, "beheer_grant.html", status=422 if errors else 200, form=form,
                          errors=errors, **ctx)
        now = services.core.now()
        day = parse_day(form["valid_until"])
        until = until_of(day, now) if day else now + timedelta(days=option.role.default_validity_days)
        cmd = NewGrant(person=holder.id, organisation=ctx["org"].id, role=option.role.code, measure=option.measure,
                       valid_from=now, valid_until=until, reason=form["reason"])
        try:
            if not commit:  # the grant's own rules, as a preview: the confirmation does not promise wrongly
                await services.grants.preview_grant(caller, cmd)
                form["valid_until"] = views.day(until)
                app = services.core.catalogue.application(option.role.application)
                return screen(request, "beheer_confirm.html", form=form, option=option, holder=holder,
                              app=app, start=views.day(now), until=views.day(until), **ctx)
            await services.grants.grant(caller, cmd)
        except DomainError as exc:
            if exc.kind == "forbidden" and exc.field is None:
                raise
            errors = domain_errors(exc, t, lang, "right", services.core.catalogue, GRANT_FIELDS)
            return screen(request, "beheer_grant.html", status=_status(exc), form=form, errors=errors, **ctx)
        return Redirect(f"/beheer/organisations/{org_id}?done=granted", status_code=303)

    # --- revoke ---------------------------------------------------------------------------------

    async def _grant_of(self, services: Services, caller: Caller, org_id: str, grant_id: str) -> dict[str, Any]:
        org, _ = await views.my_administration(services, caller, org_id)
        grant = await services.grants.get(caller, grant_id)
        if grant.organisation_id != org.id:  # a grant of another organisation under this one's URL
            raise NotFound("unknown_grant", "grant")
        async with services.core.store.read() as tx:
            holder = await tx.get_person(grant.person_id)
        return {"org": org, "grant": views.grant_view(services, grant), "holder": holder}

    @get("/organisations/{org_id:str}/grants/{grant_id:str}/revoke", opt=_opt(Permission.GRANTS_MANAGE))
    async def revoke_form(self, request: Request, services: Services, caller: Caller, org_id: str,
                          grant_id: str) -> Template:
        # Asked of the revocation's own rule first: what would be refused is not offered (a refusal page
        # in words instead of a form that can only fail).
        await services.grants.preview_revoke(caller, grant_id)
        ctx = await self._grant_of(services, caller, org_id, grant_id)
        return screen(request, "beheer_revoke.html", form={"reason": ""}, errors={}, block=None, **ctx)

    @post("/organisations/{org_id:str}/grants/{grant_id:str}/revoke", opt=_opt(Permission.GRANTS_MANAGE),
          status_code=303)
    async def revoke(self, request: Request, services: Services, caller: Caller, org_id: str, grant_id: str,
                     data: dict[str, Any] = FORM) -> Template | Redirect:
        ctx = await self._grant_of(services, caller, org_id, grant_id)
        lang = _lang(request)
        form = {"reason": text_of(data, "reason")}
        errors = reason_errors(form, texts(lang))
        block, status = None, 422
        if not errors:
            try:
                await services.grants.revoke(caller, grant_id, Revocation(reason=form["reason"]))
                return Redirect(f"/beheer/organisations/{org_id}?done=revoked", status_code=303)
            except DomainError as exc:
                # Refused after all (the facts changed since the page was shown): said in words, above the
                # form, and on the reason field only when it is the reason that is refused.
                status = _status(exc)
                if exc.field == "reason":
                    errors = domain_errors(exc, texts(lang), lang, "reason", services.core.catalogue)
                else:
                    block = in_words(exc, lang, services.core.catalogue)
        return screen(request, "beheer_revoke.html", status=status, form=form, errors=errors, block=block, **ctx)

    # --- local administrators -------------------------------------------------------------------

    async def _appoint_context(self, services: Services, caller: Caller, org_id: str) -> dict[str, Any]:
        org, me = await views.my_administration(services, caller, org_id)
        if not me.main:
            raise Forbidden("not_main_administrator")
        admins = {e.person.id for e in await services.people.administrators(caller, org.id)}
        people = [p for p in (await views.people_page(services, caller, org.id, 1_000_000))["people"]
                  if p.id not in admins]
        catalogue = services.core.catalogue
        apps = sorted({r.application for r in catalogue.roles_for(org.type)})
        return {"org": org, "me": me, "people": people,
                "apps": [(a, catalogue.application(a).name) for a in apps]}

    @get("/organisations/{org_id:str}/administrators/new", opt=_opt(Permission.PEOPLE_MANAGE))
    async def appoint_form(self, request: Request, services: Services, caller: Caller, org_id: str) -> Template:
        ctx = await self._appoint_context(services, caller, org_id)
        form = {"person": "", "applications": [], "email": "", "disclose": "", "main": ""}
        return screen(request, "beheer_appoint.html", form=form, errors={}, **ctx)

    @post("/organisations/{org_id:str}/administrators/new", opt=_opt(Permission.PEOPLE_MANAGE), status_code=303)
    async def appoint(self, request: Request, services: Services, caller: Caller, org_id: str,
                      data: dict[str, Any] = FORM) -> Template | Redirect:
        ctx = await self._appoint_context(services, caller, org_id)
        lang = _lang(request)
        t = texts(lang)
        form = {"person": text_of(data, "person", 100), "applications": list_of(data, "applications"),
                "email": text_of(data, "email", 320), "disclose": text_of(data, "disclose", 5),
                "main": text_of(data, "main", 5)}
        holder = views.person_in(ctx["people"], form["person"])
        errors = appoint_errors(form, t, person_ok=holder is not None, known_apps={a for a, _ in ctx["apps"]})
        if not errors and holder is not None:
            try:
                await services.people.appoint(caller, org_id, Appointment(
                    # A main administrator administers every application (the use case decides who may).
                    person=holder.id, main=bool(form["main"]),
                    applications=None if form["main"] else tuple(form["applications"]) or None,
                    contact=ContactCard(email=form["email"] or None, disclose=bool(form["disclose"]))))
                return Redirect(f"/beheer/organisations/{org_id}?done=appointed", status_code=303)
            except DomainError as exc:
                errors = domain_errors(exc, t, lang, "person", services.core.catalogue)
        return screen(request, "beheer_appoint.html", status=422, form=form, errors=errors, **ctx)

    async def _removal_context(self, services: Services, caller: Caller, org_id: str,
                               person_id: str) -> dict[str, Any]:
        org, me = await views.my_administration(services, caller, org_id)
        if not me.main:
            raise Forbidden("not_main_administrator")
        entry = next((e for e in await services.people.administrators(caller, org.id) if e.person.id == person_id),
                     None)
        if entry is None:
            raise NotFound("not_an_administrator", "person")
        catalogue = services.core.catalogue
        apps = entry.administrator.applications
        names = None if apps is None else [catalogue.application(a).name if a in catalogue.applications else a
                                           for a in apps]
        return {"org": org, "me": me, "entry": entry, "apps": names}

    @get("/organisations/{org_id:str}/administrators/{person_id:str}/remove", opt=_opt(Permission.PEOPLE_MANAGE))
    async def remove_form(self, request: Request, services: Services, caller: Caller, org_id: str,
                          person_id: str) -> Template:
        """Confirmation first: what removing means, and a reason (required) that reaches the audit trail."""
        ctx = await self._removal_context(services, caller, org_id, person_id)
        refused = (await services.people.removal_refusals(caller, org_id)).get(person_id)
        if refused is not None:  # a stale link: the rule that blocks, before any reason is typed
            return screen(request, "beheer_remove.html", status=_status(refused), form={"reason": ""}, errors={},
                          block=in_words(refused, _lang(request)), refused=True, **ctx)
        return screen(request, "beheer_remove.html", form={"reason": ""}, errors={}, block=None, **ctx)

    @post("/organisations/{org_id:str}/administrators/{person_id:str}/remove",
          opt=_opt(Permission.PEOPLE_MANAGE), status_code=303)
    async def remove(self, request: Request, services: Services, caller: Caller, org_id: str, person_id: str,
                     data: dict[str, Any] = FORM) -> Template | Redirect:
        ctx = await self._removal_context(services, caller, org_id, person_id)
        lang = _lang(request)
        form = {"reason": text_of(data, "reason")}
        errors = reason_errors(form, texts(lang))
        if errors:  # nothing is written without a reason
            return screen(request, "beheer_remove.html", status=422, form=form, errors=errors, block=None, **ctx)
        try:
            await services.people.remove(caller, org_id, person_id, Removal(reason=form["reason"]))
        except DomainError as exc:
            if exc.code not in ("last_administrator", "last_main_administrator"):
                raise
            # The rule that blocked, beside the administrator it protects.
            return screen(request, "beheer_remove.html", status=409, form=form, errors={},
                          block=in_words(exc, lang, services.core.catalogue), **ctx)
        return Redirect(f"/beheer/organisations/{org_id}?done=removed", status_code=303)
