"""The service's own closed vocabulary of permissions, and which principal holds which.

Every route declares one (``opt={"permission": ...}``); a route without one makes start-up fail, and
the guard refuses any principal whose kind does not hold it. Finer rules (which organisation, whose
data) are the core's: they need the facts.
"""

from __future__ import annotations

import enum

from rights.domain.ports import PrincipalKind


class Permission(enum.StrEnum):
    PUBLIC = "public"  # health, readiness, metrics, the OpenAPI document and its reference at /docs
    ORGANISATIONS_READ = "organisations:read"
    ORGANISATIONS_WRITE = "organisations:write"
    PEOPLE_MANAGE = "people:manage"  # persons, work relations, administrators
    PEOPLE_READ = "people:read"
    GRANTS_MANAGE = "grants:manage"
    GRANTS_READ = "grants:read"
    CHECK = "check"
    RIGHTS_LIST = "rights:list"  # a person's organisations and claims
    HELPLINE_LOOKUP = "helpline:lookup"
    AUDIT_READ = "audit:read"
    AUDIT_HEAD = "audit:head"  # the hash chains' heads (hash, position, time): no personal data, for witnesses
    CATALOGUE_READ = "catalogue:read"
    CHANGES_READ = "changes:read"  # the change feed, for services that keep their own cache
    MANDATES_MANAGE = "mandates:manage"
    EXPORTS_READ = "exports:read"  # overview exports of local administrators (platform administrators)
    RECERTIFICATION_MANAGE = "recertification:manage"  # start and list campaigns (platform administrators)
    SUCCESSIONS_MANAGE = "successions:manage"  # enter, preview, apply successions (platform administrators)


P = Permission

GRANTED: dict[PrincipalKind, frozenset[Permission]] = {
    PrincipalKind.PERSON: frozenset(
        {P.ORGANISATIONS_READ, P.PEOPLE_MANAGE, P.PEOPLE_READ, P.GRANTS_MANAGE, P.GRANTS_READ, P.RIGHTS_LIST,
         P.CATALOGUE_READ, P.MANDATES_MANAGE}
    ),
    PrincipalKind.HELPLINE: frozenset({P.ORGANISATIONS_READ, P.HELPLINE_LOOKUP, P.PEOPLE_READ, P.CATALOGUE_READ}),
    PrincipalKind.SERVICE: frozenset({P.CHECK, P.RIGHTS_LIST, P.CATALOGUE_READ, P.CHANGES_READ, P.AUDIT_HEAD}),
    PrincipalKind.PLATFORM_ADMIN: frozenset(Permission),
}


def holds(kind: PrincipalKind, permission: Permission) -> bool:
    return permission is Permission.PUBLIC or permission in GRANTED[kind]
