"""Who may appoint, grant and revoke: pure functions over the facts, raising on refusal.

Each function receives everything it needs (no I/O) so the policy tests and unit tests can call it
directly; the service gathers the facts inside one transaction and then asks these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from rights.domain.catalogue import OrgTypePolicy, Role
from rights.domain.errors import Conflict, Forbidden, InvalidInput
from rights.domain.model import Administrator, Organisation, OrgStatus, Person, UserType, WorkRelation


def active_admin(admins: Iterable[Administrator], person_id: str | None) -> Administrator | None:
    return next((a for a in admins if a.active and a.person_id == person_id), None)


def ensure_may_appoint(
    *,
    actor_person_id: str | None,
    platform_admin: bool,
    admins: Sequence[Administrator],
    legal_representatives: Iterable[str],
    target_person_id: str,
    main: bool,
) -> None:
    """Only a main local administrator appoints; a legal representative only themself, as main."""
    actor = active_admin(admins, actor_person_id)
    allowed = (
        platform_admin
        or (actor is not None and actor.main)
        or (
            actor_person_id is not None
            and actor_person_id in set(legal_representatives)
            and target_person_id == actor_person_id
            and main
        )
    )
    # Who is asking comes first: a refused caller learns nothing about who administers what.
    if not allowed:
        raise Forbidden("not_main_administrator")
    if active_admin(admins, target_person_id) is not None:
        raise Conflict("already_administrator", "person")


def ensure_may_remove(
    *,
    actor_person_id: str | None,
    platform_admin: bool,
    admins: Sequence[Administrator],
    target: Administrator,
) -> None:
    """Only a main administrator removes; never the last administrator, nor the last main one."""
    actor = active_admin(admins, actor_person_id)
    if not platform_admin and (actor is None or not actor.main):
        raise Forbidden("not_main_administrator")
    others = [a for a in admins if a.active and a.id != target.id]
    if not others:
        raise Conflict("last_administrator", "person")
    if target.main and not any(a.main for a in others):
        raise Conflict("last_main_administrator", "person")


def ensure_administers(
    admins: Sequence[Administrator], actor_person_id: str | None, application: str
) -> Administrator:
    """A local administrator acts only in their own organisation and only within their applications."""
    admin = active_admin(admins, actor_person_id)
    if admin is None:
        raise Forbidden("not_an_administrator", "organisation")
    if not admin.administers(application):
        raise Forbidden("application_not_administered", "role", application=application)
    return admin


def ensure_may_revoke(
    *, admins: Sequence[Administrator], actor_person_id: str | None, platform_admin: bool, application: str,
    revoked: bool,
) -> None:
    """Platform staff, or a local administrator of the grant's organisation within its application; a
    revoked grant is not revoked twice. The revoke page and the revocation itself both ask this."""
    if not platform_admin:
        ensure_administers(admins, actor_person_id, application)
    if revoked:
        raise Conflict("already_revoked", "grant")


# A mandate runs at most this long, and starts at most this far ahead (grants are capped per role by
# the policies; mandates span applications, so one bound for all).
MANDATE_MAX_DAYS = 5 * 366


def aware_utc(value: datetime, field_name: str) -> datetime:
    """A moment with a time zone, in UTC; a zone-less or unrepresentable one (year 9999 at -14:00) is
    refused naming the field, instead of overflowing later in storage."""
    if value.tzinfo is None:
        raise InvalidInput("invalid_value", field_name, reason="a time zone is required")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("invalid_value", field_name, reason="out of range") from None


def ensure_mandate_validity(valid_from: datetime, valid_until: datetime | None, now: datetime) -> None:
    limit = timedelta(days=MANDATE_MAX_DAYS)
    if valid_from - now > limit:
        raise InvalidInput("mandate_too_long", "valid_from", max_days=MANDATE_MAX_DAYS)
    if valid_until is None:
        return
    if valid_until <= valid_from:
        raise InvalidInput("validity_ends_before_start", "valid_until")
    if valid_until - valid_from > limit:
        raise InvalidInput("mandate_too_long", "valid_until", max_days=MANDATE_MAX_DAYS)


def ensure_validity(role: Role, valid_from: datetime, valid_until: datetime, now: datetime) -> None:
    if valid_until <= valid_from:
        raise InvalidInput("validity_ends_before_start", "valid_until")
    if valid_until <= now:
        raise InvalidInput("validity_in_past", "valid_until")
    if valid_until - valid_from > timedelta(days=role.max_validity_days):
        raise InvalidInput("validity_too_long", "valid_until", max_days=role.max_validity_days)


def ensure_user_type_allowed(policy: OrgTypePolicy, user_type: UserType) -> None:
    if user_type not in policy.user_types:
        raise InvalidInput(
            "user_type_not_allowed", "user_type", user_type=user_type.value, purpose=policy.type.value
        )


def ensure_may_receive_grants(org: Organisation, person: Person) -> None:
    """A frozen (or ceased) organisation or a frozen person gets no new grants."""
    if org.status is OrgStatus.FROZEN:
        raise Conflict("organisation_frozen", "organisation")
    if org.status is OrgStatus.CEASED:
        raise Conflict("organisation_ceased", "organisation")
    if person.frozen:
        raise Conflict("person_frozen", "person")


def ensure_grantable(
    *,
    role: Role,
    measure: str | None,
    org: Organisation,
    holder: Person,
    actor_person_id: str,
    work_relations: Iterable[WorkRelation],
    valid_from: datetime,
    valid_until: datetime,
    now: datetime,
) -> None:
    """Every catalogue rule a new grant (or a grant's new validity) must satisfy."""
    if org.type not in role.org_types:
        raise InvalidInput("role_not_for_organisation_type", "role", role=role.code, org_type=org.type.value)
    if org.type not in role.grantors:
        raise Forbidden(
            "role_not_grantable_by_organisation_type", "role", role=role.code, org_type=org.type.value
        )
    role.measure(measure)
    ensure_may_receive_grants(org, holder)
    ensure_validity(role, valid_from, valid_until, now)
    if holder.id == actor_person_id and not role.self_grant:
        raise Forbidden("self_grant_forbidden", "person")
    if role.requires_work_relation:
        relations = [
            w for w in work_relations if w.organisation_id == org.id and w.person_id == holder.id and w.active_at(now)
        ]
        if not relations:
            raise Conflict("work_relation_required", "person")
        if role.user_types is not None and not any(w.user_type in role.user_types for w in relations):
            raise InvalidInput(
                "user_type_not_allowed",
                "person",
                user_type=relations[0].user_type.value,
                purpose=role.code,
            )
