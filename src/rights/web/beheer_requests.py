"""Self-registration screens (issue 5): a person requests a right; the organisation's administrators decide.

Person: ``/beheer/request`` (find the organisation by any identifier or by name, then the right the
catalogue allows for its type, a motivation and a contact e-mail), a done page that says how many
administrators were e-mailed (never who), and ``/beheer/me/requests`` with each request's outcome.
Administrator: ``/beheer/organisations/{id}/requests`` with the pending requests they may decide,
approve (optionally a shorter or longer validity within the catalogue's maximum) or refuse (a reason is
required). The use cases in rights.domain.services.requests decide who may do what; a request of
another organisation under this one's URL does not exist there (404).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.domain import identifiers as ids
from rights.domain import lookup
from rights.domain.commands import NewGrant
from rights.domain.errors import DomainError, NotFound
from rights.domain.model import Organisation
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.requests import (
    MOTIVATION_MAX,
    MOTIVATION_MIN,
    REASON_MAX,
    REASON_MIN,
    NewAccessRequest,
    RequestApproval,
    RequestEntry,
    RequestRefusal,
)
from rights.web import beheer_views as views
from rights.web.beheer import FORM, _lang, _opt, _refused, screen
from rights.web.beheer_forms import _EMAIL, in_words, parse_day, text_of, until_of
from rights.web.i18n import TEXTS, Texts, texts

REQUEST_TEXTS: dict[str, tuple[str, str]] = {
    "req_new": ("Een recht aanvragen", "Request a right"),
    "req_intro": (
        "Vraag een gebruikersrecht aan bij een organisatie. Haar lokale beheerders krijgen uw aanvraag per "
        "e-mail en beslissen erover; u ziet hun e-mailadres niet en zij kennen elkaars adres niet.",
        "Request a user right from an organisation. Its local administrators receive your request by e-mail "
        "and decide on it; you do not see their e-mail address and they do not see each other's.",
    ),
    "req_f_q": ("Organisatie: naam, ondernemingsnummer, btw-, OVO-, NIS- of instellingsnummer",
                "Organisation: name, enterprise, VAT, OVO, NIS or institution number"),
    "req_find": ("Organisatie zoeken", "Find the organisation"),
    "req_pick": ("Kies de organisatie", "Choose the organisation"),
    "req_choose_this": ("Kies {org}", "Choose {org}"),
    "req_f_org": ("Organisatie", "Organisation"),
    "req_other_org": ("Andere organisatie kiezen", "Choose another organisation"),
    "req_f_right": ("Recht (toepassing, rol en maatregel)", "Right (application, role and measure)"),
    "req_nothing": ("U hebt hier al elk recht dat u kunt aanvragen, of vroeg het al aan; niets anders is hier aan te vragen.",
                    "You already hold, or have already requested, every right you can request here; there is "
                    "nothing else to request."),
    "req_cannot_approve": ("Goedkeuren kan nu niet; u kunt de aanvraag weigeren met een reden.",
                           "Approving is not possible now; you can refuse the request with a reason."),
    "req_right_hint": ("Enkel de rechten die u hier kunt aanvragen: niet wat u al hebt of al aanvroeg.",
                       "Only the rights you can request here: not what you hold or asked for already."),
    "req_f_motivation": ("Motivering", "Motivation"),
    "req_motivation_hint": ("Waarom hebt u dit recht nodig? 10 tot 2000 tekens.",
                            "Why do you need this right? 10 to 2000 characters."),
    "req_f_email": ("E-mailadres voor de beslissing (niet verplicht)",
                    "E-mail address for the decision (optional)"),
    "req_email_hint": ("Leeg laten: het e-mailadres dat wij van u kennen.",
                       "Leave empty: the e-mail address we know for you."),
    "req_send": ("Aanvraag versturen", "Send the request"),
    "req_err_q": ("Organisatie: typ minstens 2 tekens van de naam of een nummer.",
                  "Organisation: type at least 2 characters of the name or a number."),
    "req_err_q_none": ("Organisatie: geen organisatie gevonden; controleer het nummer of typ een deel van de naam.",
                       "Organisation: no organisation found; check the number or type part of the name."),
    "req_err_org": ("Organisatie: zoek en kies een organisatie.", "Organisation: find and choose an organisation."),
    "req_err_right": ("Recht: kies een recht uit de lijst.", "Right: choose a right from the list."),
    "req_err_motivation": ("Motivering: leg in 10 tot 2000 tekens uit waarom u dit recht nodig hebt.",
                           "Motivation: explain in 10 to 2000 characters why you need this right."),
    "req_err_email": ("E-mailadres voor de beslissing: vul een geldig adres in of laat het leeg.",
                      "E-mail address for the decision: enter a valid address or leave it empty."),
    "req_sent_title": ("Uw aanvraag is verstuurd", "Your request was sent"),
    "req_sent": ("Uw aanvraag werd verstuurd naar de {n} beheerder(s) van de organisatie.",
                 "Your request was sent to the organisation's {n} administrator(s)."),
    "req_sent_none": (
        "Geen enkele beheerder van deze organisatie heeft een e-mailadres: uw aanvraag staat op hun scherm, "
        "maar zij krijgen geen e-mail. Bel eventueel 1700.",
        "No administrator of this organisation has an e-mail address: your request is on their screen, but "
        "they get no e-mail. You may call 1700.",
    ),
    "req_sent_next": ("U krijgt een e-mail zodra een beheerder beslist.",
                      "You will get an e-mail as soon as an administrator decides."),
    "req_mine": ("Mijn aanvragen", "My requests"),
    "req_none": ("U hebt nog geen rechten aangevraagd.", "You have not requested any rights yet."),
    "req_status": ("Status", "Status"),
    "req_requested_on": ("Aangevraagd op", "Requested on"),
    "req_decided_on": ("Beslist op", "Decided on"),
    "req_status_pending": ("wacht op beslissing", "awaiting a decision"),
    "req_status_approved": ("goedgekeurd", "approved"),
    "req_status_refused": ("geweigerd", "refused"),
    "req_status_withdrawn": ("ingetrokken", "withdrawn"),
    "req_reason": ("Reden", "Reason"),
    "req_withdraw": ("Aanvraag intrekken", "Withdraw the request"),
    "req_withdrawn": ("Uw aanvraag is ingetrokken.", "Your request was withdrawn."),
    "req_pending_title": ("Aanvragen van rechten", "Requests for rights"),
    "req_pending_link": ("Aanvragen die op uw beslissing wachten", "Requests awaiting your decision"),
    "req_pending_none": ("Er wachten geen aanvragen op uw beslissing.", "No requests await your decision."),
    "req_requester": ("Aanvrager", "Requester"),
    "req_contact": ("E-mail", "E-mail"),
    "req_approve": ("Goedkeuren en toekennen", "Approve and grant"),
    "req_refuse": ("Weigeren", "Refuse"),
    "req_f_until": ("Geldig tot en met (dd/mm/jjjj, niet verplicht)", "Valid until (dd/mm/yyyy, optional)"),
    "req_until_hint": ("Leeg laten: {default} dagen. Hoogstens {max} dagen.",
                       "Leave empty: {default} days. At most {max} days."),
    "req_f_note": ("Opmerking (niet verplicht)", "Note (optional)"),
    "req_f_refuse_reason": ("Reden van de weigering", "Reason for refusing"),
    "req_err_until": (
        "Geldig tot en met: vul een datum in als dd/mm/jjjj (bv. 31/12/2027) of laat het veld leeg.",
        "Valid until: enter a date as dd/mm/yyyy (e.g. 31/12/2027) or leave it empty.",
    ),
    "req_err_reason": ("Reden van de weigering: vul een reden in (3 tot 1000 tekens).",
                       "Reason for refusing: enter a reason (3 to 1000 characters)."),
    "req_approved": ("De aanvraag is goedgekeurd en het recht toegekend.", "The request was approved and the right granted."),
    "req_refused": ("De aanvraag is geweigerd.", "The request was refused."),
    "req_refuse_title": ("Aanvraag weigeren", "Refuse a request"),
    "req_refuse_sentence": (
        "{person} krijgt het recht {role} voor {org} niet. {person} ziet uw reden bij de eigen aanvragen "
        "(en krijgt ze per e-mail als er een adres bekend is); de aanvraag kan daarna niet meer worden "
        "goedgekeurd.",
        "{person} will not get the right {role} for {org}. {person} sees your reason with their own requests "
        "(and gets it by e-mail when an address is known); the request can no longer be approved afterwards.",
    ),
    "req_refuse_confirm": ("Bevestigen en weigeren", "Confirm and refuse"),
    "req_still_pending": ("De aanvraag blijft open.", "The request stays open."),
}
assert not set(REQUEST_TEXTS) & set(TEXTS), "a request text key collides with another screen's"
TEXTS.update(REQUEST_TEXTS)

DONE = ("req_approved", "req_refused", "req_withdrawn")
# A refusal of the core on the person's form: which field it concerns.
FIELD_OF = {"organisation": "organisation", "role": "right", "measure": "right", "motivation": "motivation",
            "contact_email": "contact_email", "person": "right"}
LABEL_OF = {"organisation": "req_f_org", "right": "req_f_right", "motivation": "req_f_motivation",
            "contact_email": "req_f_email"}


def _message(exc: DomainError, lang: str, services: Services | None = None) -> str:
    return in_words(exc, lang, services.core.catalogue if services is not None else None)


def _labelled(t: Texts, field: str, message: str) -> str:
    label = t[LABEL_OF[field]] if field in LABEL_OF else ""
    return message if not label or message.startswith(label.split(" (")[0]) else f"{label}: {message}"


def _right_options(services: Services, org: Organisation) -> dict[str, list[views.RightOption]]:
    """What may be requested in this organisation: the catalogue's rights for its type that its own
    administrators can grant (any application: the request goes to whoever administers it)."""
    catalogue = services.core.catalogue
    out: dict[str, list[views.RightOption]] = {}
    for role in catalogue.roles_for(org.type):
        if org.type not in role.grantors:
            continue
        app = catalogue.application(role.application).name
        if not role.measures:
            out.setdefault(app, []).append(views.RightOption(role, None, None, False))
        for m in role.measures:
            out.setdefault(app, []).append(views.RightOption(role, m.code, m.name, m.historic))
    return dict(sorted(out.items()))


async def _offered(services: Services, caller: Caller, org: Organisation) -> dict[str, list[views.RightOption]]:
    """Of those, what the caller may request now, asked of submit()'s own rules (a preview that writes
    nothing): not a right they hold, not one they asked for already, not one nobody here can decide."""
    options = _right_options(services, org)
    flat = [o for opts in options.values() for o in opts]
    refusals = await services.requests.requestable(caller, org.id, [(o.role.code, o.measure) for o in flat])
    keep = {o.value for o, refused in zip(flat, refusals, strict=True) if refused is None}
    return {app: kept for app, opts in options.items() if (kept := [o for o in opts if o.value in keep])}


def request_view(services: Services, e: RequestEntry) -> dict[str, Any]:
    r = e.request
    catalogue = services.core.catalogue
    role = catalogue.roles.get(r.role)
    measure = role.measure(r.measure) if role is not None and r.measure and role.measures else None
    return {
        "id": r.id, "status": r.status.value, "organisation": e.organisation.name, "organisation_id": r.organisation_id,
        "application": catalogue.application(role.application).name if role else "",
        "role": role.name if role else r.role, "measure": measure.name if measure else r.measure,
        "motivation": r.motivation, "contact_email": r.contact_email, "created": views.day(r.created_at),
        "decided": views.day(r.decided_at) if r.decided_at else None, "reason": r.decision_reason,
        "requester": e.person.display_name, "masked": ids.mask_national_number(e.person.national_number),
        "default_days": role.default_validity_days if role else 0, "max_days": role.max_validity_days if role else 0,
    }


class RequestScreen(Controller):
    path = "/beheer"
    include_in_schema = False
    exception_handlers = {DomainError: _refused}  # noqa: RUF012

    # --- the person: request a right -----------------------------------------------------------

    async def _org(self, services: Services, org_id: str) -> Organisation | None:
        if not org_id.startswith("org_"):
            return None
        async with services.core.store.read() as tx:
            return await tx.get_organisation(org_id)

    async def _form(self, request: Request, services: Services, caller: Caller, *, status: int = 200,
                    q: str = "", org: Organisation | None = None, form: dict[str, str] | None = None,
                    errors: dict[str, str] | None = None, results: list[Organisation] | None = None) -> Template:
        if form is None:
            async with services.core.store.read() as tx:
                me = await tx.get_person(caller.person_id) if caller.person_id else None
            form = {"right": "", "motivation": "", "contact_email": (me.email or "") if me else ""}
        options = await _offered(services, caller, org) if org is not None else {}
        return screen(request, "beheer_request.html", status=status, q=q, org=org, form=form, errors=errors or {},
                      results=results, options=options)

    @get("/request", opt=_opt(Permission.RIGHTS_LIST))
    async def request_form(self, request: Request, services: Services, caller: Caller,
                           q: str = Parameter(query="q", default="", max_length=200),
                           org_id: str = Parameter(query="org", default="", max_length=100)) -> Template:
        if caller.person_id is None:
            raise NotFound("unknown_person", "person")
        t = texts(_lang(request))
        org = await self._org(services, org_id.strip())
        q = q.strip()
        if org is not None or "q" not in request.query_params:
            return await self._form(request, services, caller, org=org)
        if len(q) < 2 or lookup.looks_like_personal_number(q):
            return await self._form(request, services, caller, status=422, q=q, errors={"q": t.req_err_q})
        async with services.core.store.read() as tx:
            found = [m.organisation for m in await lookup.find(tx, q, limit=10)]
        if not found:
            return await self._form(request, services, caller, status=422, q=q, errors={"q": t.req_err_q_none})
        if len(found) == 1:  # an identifier (or a unique name) points at one organisation: take it
            return await self._form(request, services, caller, q=q, org=found[0])
        return await self._form(request, services, caller, q=q, results=found)

    @post("/request", opt=_opt(Permission.RIGHTS_LIST), status_code=303)
    async def request_submit(self, request: Request, services: Services, caller: Caller,
                             data: dict[str, Any] = FORM) -> Template | Redirect:
        lang = _lang(request)
        t = texts(lang)
        form = {"organisation": text_of(data, "organisation", 100), "right": text_of(data, "right", 300),
                "motivation": text_of(data, "motivation", MOTIVATION_MAX + 1),
                "contact_email": text_of(data, "contact_email", 321)}
        org = await self._org(services, form["organisation"])
        options = _right_options(services, org) if org is not None else {}
        option = views.find_option(options, form["right"])
        errors: dict[str, str] = {}
        if org is None:
            errors["q"] = t.req_err_org
        elif option is None:
            errors["right"] = t.req_err_right
        if not MOTIVATION_MIN <= len(form["motivation"]) <= MOTIVATION_MAX:
            errors["motivation"] = t.req_err_motivation
        if form["contact_email"] and (len(form["contact_email"]) > 320 or not _EMAIL.match(form["contact_email"])):
            errors["contact_email"] = t.req_err_email
        if not errors and org is not None and option is not None:
            try:
                written = await services.requests.submit(caller, NewAccessRequest(
                    organisation=org.id, role=option.role.code, measure=option.measure,
                    motivation=form["motivation"], contact_email=form["contact_email"] or None))
                sent = written.value
                return Redirect(f"/beheer/me/requests/{sent.request.id}/sent?n={sent.notified}", status_code=303)
            except DomainError as exc:
                if exc.kind == "forbidden" and exc.field is None:
                    raise
                field = FIELD_OF.get(exc.field or "", "right")
                errors[field] = _labelled(t, field, _message(exc, lang, services))
        return await self._form(request, services, caller, status=422, org=org, form=form, errors=errors)

    @get("/me/requests/{request_id:str}/sent", opt=_opt(Permission.RIGHTS_LIST))
    async def request_sent(self, request: Request, services: Services, caller: Caller, request_id: str,
                           n: int = Parameter(query="n", default=0, ge=0, le=1000)) -> Template:
        mine = next((e for e in await services.requests.mine(caller) if e.request.id == request_id), None)
        if mine is None:
            raise NotFound("unknown_request", "request")
        return screen(request, "beheer_request_sent.html", r=request_view(services, mine), n=n)

    @get("/me/requests", opt=_opt(Permission.RIGHTS_LIST))
    async def my_requests(self, request: Request, services: Services, caller: Caller,
                          done: str | None = Parameter(query="done", default=None, max_length=20)) -> Template:
        rows = [request_view(services, e) for e in await services.requests.mine(caller)]
        return screen(request, "beheer_request_mine.html", rows=rows, done=done if done in DONE else None)

    @post("/me/requests/{request_id:str}/withdraw", opt=_opt(Permission.RIGHTS_LIST), status_code=303)
    async def withdraw(self, services: Services, caller: Caller, request_id: str) -> Redirect:
        await services.requests.withdraw(caller, request_id)
        return Redirect("/beheer/me/requests?done=req_withdrawn", status_code=303)

    # --- the administrator: decide ---------------------------------------------------------------

    async def _pending(self, request: Request, services: Services, caller: Caller, org_id: str, *,
                       status: int = 200, done: str | None = None, errors: dict[str, str] | None = None,
                       form: dict[str, str] | None = None) -> Template:
        org, _ = await views.my_administration(services, caller, org_id)
        request.session["acting_for"] = {"id": org.id, "name": org.name}
        entries = await services.requests.pending(caller, org.id)
        # "Goedkeuren" only where the grant would be accepted now (the grant's own rules, as a preview);
        # otherwise why not, in words, and refusing stays possible.
        refusals = await services.grants.grantable(caller, [NewGrant(
            person=e.request.person_id, organisation=org.id, role=e.request.role, measure=e.request.measure,
            reason="") for e in entries])
        lang = _lang(request)
        rows = [request_view(services, e) | {"approve_refusal": None if exc is None else in_words(
            exc, lang, services.core.catalogue)} for e, exc in zip(entries, refusals, strict=True)]
        return screen(request, "beheer_requests.html", status=status, org=org, rows=rows, done=done,
                      errors=errors or {}, form=form or {})

    @get("/organisations/{org_id:str}/requests", opt=_opt(Permission.PEOPLE_READ))
    async def pending(self, request: Request, services: Services, caller: Caller, org_id: str,
                      done: str | None = Parameter(query="done", default=None, max_length=20)) -> Template:
        return await self._pending(request, services, caller, org_id, done=done if done in DONE else None)

    @post("/organisations/{org_id:str}/requests/{request_id:str}/approve", opt=_opt(Permission.GRANTS_MANAGE),
          status_code=303)
    async def approve(self, request: Request, services: Services, caller: Caller, org_id: str, request_id: str,
                      data: dict[str, Any] = FORM) -> Template | Redirect:
        await views.my_administration(services, caller, org_id)
        lang = _lang(request)
        t = texts(lang)
        until_field, note_field = f"until-{request_id}", f"note-{request_id}"
        form = {until_field: text_of(data, "valid_until", 20), note_field: text_of(data, "note", 1000)}
        day = parse_day(form[until_field]) if form[until_field] else None
        if form[until_field] and day is None:
            errors = {until_field: t.req_err_until}
        else:
            now = services.core.now()
            until = until_of(day, now) if day else None
            try:
                await services.requests.approve(caller, request_id, RequestApproval(
                    valid_until=until, reason=form[note_field]), organisation=org_id)
                return Redirect(f"/beheer/organisations/{org_id}/requests?done=req_approved", status_code=303)
            except DomainError as exc:
                if exc.code in ("unknown_request", "not_an_administrator", "application_not_administered"):
                    raise
                # A grant rule refused: the request stays pending and the administrator sees why.
                field = until_field if exc.field in ("valid_until", "valid_from") else note_field
                errors = {field: f"{_message(exc, lang, services)} {t.req_still_pending}"}
        return await self._pending(request, services, caller, org_id, status=422, errors=errors, form=form)

    async def _refusal(self, request: Request, services: Services, caller: Caller, org_id: str, request_id: str,
                       *, status: int = 200, errors: dict[str, str] | None = None, reason: str = "") -> Template:
        org, _ = await views.my_administration(services, caller, org_id)
        r = request_view(services, await services.requests.get(caller, org.id, request_id))
        return screen(request, "beheer_request_refuse.html", status=status, org=org, r=r, errors=errors or {},
                      form={"reason": reason})

    @get("/organisations/{org_id:str}/requests/{request_id:str}/refuse", opt=_opt(Permission.GRANTS_MANAGE))
    async def refuse_form(self, request: Request, services: Services, caller: Caller, org_id: str,
                          request_id: str) -> Template:
        """Confirmation first: what refusing means for the requester, and a reason (required)."""
        return await self._refusal(request, services, caller, org_id, request_id)

    @post("/organisations/{org_id:str}/requests/{request_id:str}/refuse", opt=_opt(Permission.GRANTS_MANAGE),
          status_code=303)
    async def refuse(self, request: Request, services: Services, caller: Caller, org_id: str, request_id: str,
                     data: dict[str, Any] = FORM) -> Template | Redirect:
        await views.my_administration(services, caller, org_id)
        lang = _lang(request)
        t = texts(lang)
        reason = text_of(data, "reason", REASON_MAX + 1)
        if not REASON_MIN <= len(reason) <= REASON_MAX:
            errors = {"reason": t.req_err_reason}  # the same refusal the use case makes; nothing is written
        else:
            try:
                await services.requests.refuse(caller, request_id, RequestRefusal(reason=reason),
                                               organisation=org_id)
                return Redirect(f"/beheer/organisations/{org_id}/requests?done=req_refused", status_code=303)
            except DomainError as exc:
                if exc.kind in ("forbidden", "not_found"):
                    raise
                errors = {"reason": _message(exc, lang, services)}
        return await self._refusal(request, services, caller, org_id, request_id, status=422, errors=errors,
                                   reason=reason)


__all__ = ["REQUEST_TEXTS", "RequestScreen"]
