"""Sessions, CSRF and login for the screens.

Signed-cookie sessions (HttpOnly, SameSite=Lax, Secure in production or behind an https public URL)
hold only the operator's principal (kind and subject), the language and the lookups of the current
call. Every form carries a CSRF token (double-submit cookie, Litestar's CSRF middleware); both
middlewares sit on the screens' router only, so the bearer-token API under /v1 is not affected.

Login: in development a clearly marked persona picker; in production an LDAP bind through
``rights.directory.login.OperatorLogin`` with the mapping file of ``RIGHTS_LDAP_MAPPING`` (operators), and
OpenID Connect for persons (``rights.web.oidc``). Sessions expire when idle or too old (``rights.web.expiry``).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from litestar import Controller, Request, get, post
from litestar.config.csrf import CSRFConfig
from litestar.enums import RequestEncodingType
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.params import Body
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.domain.errors import DomainError
from rights.domain.ports import PrincipalKind
from rights.settings import Settings
from rights.web.expiry import SessionExpiry, start_session
from rights.web.i18n import pick_lang, texts

# Demo personas: (form value, principal kind, subject, text key)
PERSONAS = {
    "helpline": (PrincipalKind.HELPLINE, "demo-operator", "persona_helpline"),
    "platform": (PrincipalKind.PLATFORM_ADMIN, "demo-platform", "persona_platform"),
    # Persons of the seed's VOP story, for the /beheer screens (rights.web.beheer).
    "bert": (PrincipalKind.PERSON, "demo-bert", "persona_bert"),
    "sofie": (PrincipalKind.PERSON, "demo-sofie", "persona_sofie"),
    "an": (PrincipalKind.PERSON, "demo-an", "persona_an"),
    "koen": (PrincipalKind.PERSON, "demo-koen", "persona_koen"),
}
# The demo persons' national numbers (seeds/demo.yaml); only ever used to find their person id.
PERSON_NUMBERS = {"demo-bert": "62110402174", "demo-sofie": "90021714288", "demo-an": "85073003328",
                  "demo-koen": "79092305705"}


def session_key(settings: Settings) -> bytes | None:
    """32 bytes from RIGHTS_SESSION_SECRET; in development derived from the dev signing key. None:
    production without a secret (the screens are then not served)."""
    if settings.session_secret:
        material = settings.session_secret.encode()
    elif settings.production:
        return None
    elif settings.dev_signing_key is not None and settings.dev_signing_key.exists():
        material = settings.dev_signing_key.read_bytes()
    else:
        material = secrets.token_bytes(32)  # this process only; sessions end with it
    return hashlib.sha256(b"rights-session:" + material).digest()


def _sessions(app: Any, *, key: bytes, secure: bool, max_age: int = 12 * 3600) -> Any:
    # Built when the app is, not before: Litestar deep-copies routers, and the cipher cannot be copied.
    config = CookieBackendConfig(secret=key, key="rights_session", secure=secure, httponly=True,
                                 samesite="lax", max_age=max_age)
    return config.middleware(app)


def middleware(settings: Settings, key: bytes) -> list[DefineMiddleware]:
    secure = settings.production or settings.base_url.startswith("https://")
    csrf = CSRFConfig(secret=hashlib.sha256(key + b"csrf").hexdigest(), cookie_name="rights_csrf",
                      cookie_secure=secure, cookie_httponly=True, cookie_samesite="lax")
    # The cookie lives as long as a session may (RIGHTS_SESSION_MAX_HOURS); rights.web.expiry ends it
    # earlier when idle, and ends it on the server side whatever the browser keeps.
    return [DefineMiddleware(_sessions, key=key, secure=secure, max_age=settings.session_max_hours * 3600),
            DefineMiddleware(SessionExpiry, settings=settings), DefineMiddleware(CSRFMiddleware, config=csrf)]


def page(request: Request, name: str, status: int = 200, **context: Any) -> Template:
    """A screen in the session's language (``?lang=`` switches it and is remembered)."""
    lang = pick_lang(request.query_params.get("lang"), request.session.get("lang"))
    request.session["lang"] = lang
    who = request.session.get("principal")
    settings: Settings = request.app.state.settings
    return Template(template_name=name, status_code=status, context={
        "lang": lang, "t": texts(lang), "who": who, "demo": not settings.production,
        "path": request.url.path, **context,
    })


class LoginController(Controller):
    path = "/helpline"
    include_in_schema = False

    @get("/login", opt={"permission": Permission.PUBLIC})
    async def form(self, request: Request) -> Template:
        settings: Settings = request.app.state.settings
        return page(request, "login.html", personas=PERSONAS, ldap=settings.ldap_mapping is not None, error=None,
                    oidc=settings.oidc_login, expired=request.query_params.get("expired") == "1")

    @post("/login", opt={"permission": Permission.PUBLIC}, status_code=303)
    async def login(
        self, request: Request, data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED)
    ) -> Redirect | Template:
        settings: Settings = request.app.state.settings
        if not settings.production and data.get("persona") in PERSONAS:
            kind, subject, _ = PERSONAS[data["persona"]]
        elif settings.ldap_mapping is not None:
            try:
                caller = await _ldap_login(request, data.get("username", ""), data.get("password", ""))
            except DomainError as exc:
                lang = pick_lang(None, request.session.get("lang"))
                return page(request, "login.html", status=401, personas=PERSONAS, ldap=True,
                            oidc=settings.oidc_login, error=exc.message_en if lang == "en" else exc.message_nl)
            kind, subject = caller.kind, caller.subject
        else:
            return page(request, "login.html", status=401, personas=PERSONAS, ldap=False, error=None,
                        oidc=settings.oidc_login)
        principal: dict[str, Any] = {"kind": kind.value, "subject": subject}
        if kind is PrincipalKind.PERSON:  # a person's screens need their person id (Caller.person_id)
            principal["person_id"] = await _person_id_of(request, PERSON_NUMBERS.get(subject, ""))
        start_session(request, principal)  # a new principal starts a new session (rights.web.expiry)
        return Redirect("/beheer" if kind is PrincipalKind.PERSON else "/helpline", status_code=303)

    @post("/logout", opt={"permission": Permission.PUBLIC}, status_code=303)
    async def logout(self, request: Request) -> Redirect:
        request.clear_session()
        return Redirect("/helpline/login", status_code=303)


async def _person_id_of(request: Request, national_number: str) -> str | None:
    async with request.app.state.services.core.store.read() as tx:
        person = await tx.find_person(national_number) if national_number else None
    return person.id if person is not None else None


async def _ldap_login(request: Request, username: str, password: str):  # noqa: ANN202
    """The production seam: rights.directory.login's bind, built once per process from the mapping."""
    state = request.app.state
    if getattr(state, "operator_login", None) is None:
        from rights.directory.available import require_ldap

        require_ldap()  # python-ldap is the optional extra rights[ldap]: say so, not a traceback
        from rights.directory.login import OperatorLogin
        from rights.directory.mapping import load_mapping

        state.operator_login = OperatorLogin(load_mapping(state.settings.ldap_mapping))
    return await state.operator_login.login(username, password, request.client.host if request.client else None)
