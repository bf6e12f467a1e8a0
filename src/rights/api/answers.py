"""The answers' envelopes: every success response of the API is one of these msgspec Structs (issue 13,
item 1), so the OpenAPI document describes every field. Field names are the wire's: clients (and the
light client's structs in clients/python) depend on them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from rights.api.schemas import (
    AdministratorOut,
    ChangeOut,
    GrantOut,
    IdentifiersOut,
    OrganisationOut,
    Out,
    PersonOut,
    WorkRelationOut,
    organisation_out,
)
from rights.domain.catalogue import Application, Catalogue, OrgTypePolicy
from rights.domain.errors import MESSAGES
from rights.domain.identifiers import former_nis_code, nis_municipality_name
from rights.domain.model import AccessRequest, AuditEvent, Mandate, Succession
from rights.domain.services import HelplineCard
from rights.domain.services.helpline import AdministratorContact
from rights.domain.succession import PlanItem


class PersonRegistered(Out):
    revision: int
    created: bool  # false: the national number was already registered (200, the existing person)
    person: PersonOut


class GrantWritten(Out):
    revision: int  # the change log's revision of this write: pass it as ``at_least_revision`` to a check
    grant: GrantOut


class GrantHistoryOut(Out):
    grant: GrantOut
    history: list[ChangeOut]


class GrantList(Out):
    items: list[GrantOut]


class ChangePage(Out):
    items: list[ChangeOut]
    next_after: int
    latest_revision: int


class SuccessorOut(Out):
    id: str
    name: str
    identifiers: IdentifiersOut
    organisation_code: str | None


class ExplanationOut(Out):
    grant: GrantOut | None
    mandate: Mandate | None
    reasons: list[str]


class CheckAnswer(Out):
    allowed: bool
    reason: str
    grant_id: str | None
    mandate_id: str | None
    organisation_id: str | None
    succeeded_by: list[SuccessorOut] | None
    revision: int
    explanation: ExplanationOut | msgspec.UnsetType = msgspec.UNSET  # only when asked (``explain``)


class BatchAnswer(Out):
    revision: int
    answers: list[CheckAnswer]


class NoticeOut(Out):
    """A write that succeeded but deserves a second look (not a problem: nothing was refused)."""

    code: str
    field: str | None
    message_nl: str
    message_en: str


class OrganisationWritten(Out):
    revision: int
    organisation: OrganisationOut
    warnings: list[NoticeOut] = []


def identifier_warnings(identifiers: Any) -> list[NoticeOut]:
    """A school whose institution number, without its leading zero, is also a NIS code (issue 13, item 6)."""
    number = getattr(identifiers, "institution_number", None)
    if not number or len(number.lstrip("0")) > 5:
        return []
    short = number[-5:]
    municipality = nis_municipality_name(short) or getattr(former_nis_code(short), "name", None)
    if municipality is None:
        return []
    params = {"number": number, "short": short, "municipality": municipality, "code": f"OV{number}"}
    nl, en = (text.format(**params) for text in MESSAGES["institution_number_is_nis_code"])
    return [NoticeOut(code="institution_number_is_nis_code", field="identifiers.institution_number",
                      message_nl=nl, message_en=en)]


class OrganisationPage(Out):
    items: list[OrganisationOut]
    next_cursor: str | None


class PersonWritten(Out):
    revision: int
    person: PersonOut


class ClaimsOut(Out):
    revision: int
    claims: list[str]


class LegalRepresentativeOut(Out):
    organisation_id: str
    person_id: str


class LegalRepresentativeWritten(Out):
    revision: int
    legal_representative: LegalRepresentativeOut


class AdministratorList(Out):
    items: list[AdministratorOut]


class AppointmentOut(Out):
    id: str
    person_id: str
    organisation_id: str
    main: bool


class AppointmentWritten(Out):
    revision: int
    administrator: AppointmentOut


class RemovalOut(Out):
    id: str
    removed_at: datetime | None


class RemovalWritten(Out):
    revision: int
    administrator: RemovalOut


class DisclosureOut(Out):
    id: str
    disclose: bool


class DisclosureWritten(Out):
    revision: int
    administrator: DisclosureOut


class WorkRelationList(Out):
    items: list[WorkRelationOut]


class WorkRelationWritten(Out):
    revision: int
    work_relation: WorkRelationOut


class MandateList(Out):
    items: list[Mandate]


class MandateWritten(Out):
    revision: int
    mandate: Mandate


class PersonRights(Out):
    person_id: str
    grants: list[str]  # grant ids; under a mandate ``mandate:<id>``


class OrganisationRights(Out):
    organisation_id: str
    grants: list[str]


class PersonRightsPage(Out):
    revision: int
    items: list[PersonRights]
    next_cursor: str | None


class OrganisationRightsPage(Out):
    revision: int
    items: list[OrganisationRights]
    next_cursor: str | None


class GuidanceOut(Out):
    nl: str
    en: str


class HelplineCardOut(Out):
    organisation: OrganisationOut
    parent: OrganisationOut | None
    administrators: list[AdministratorContact]
    has_administrator: bool
    guidance: GuidanceOut
    match: str  # how the query found it (docs/search.md)
    succeeded_by: list[OrganisationOut]
    succeeds: list[OrganisationOut]


class LookupOut(Out):
    items: list[HelplineCardOut]
    suggestions: list[str | None]  # "did you mean": enterprise numbers a mistyped one could have meant


class AuditEventOut(AuditEvent, frozen=True, kw_only=True):
    id: int


class AuditPage(Out):
    items: list[AuditEventOut]
    next_after: int | None


class ChangesHeadOut(Out):
    revision: int
    hash: str
    at: datetime | None


class AuditHeadOut(Out):
    id: int
    hash: str
    at: datetime | None


class ChainHeadsOut(Out):
    changes: ChangesHeadOut
    audit: AuditHeadOut
    algorithm: str
    observed_at: datetime


class CatalogueOut(Out):
    applications: list[Application]
    organisation_types: list[OrgTypePolicy]


class HealthOut(Out):
    status: str


class ReadinessOut(Out):
    status: str  # ready | unavailable
    database: str  # ok | unreachable
    directory: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET  # when the directory integration ran


class RequestPersonOut(Out):
    id: str
    name: str
    national_number: str  # masked


class RequestEntryOut(AccessRequest, frozen=True, kw_only=True):
    organisation_name: str
    person: RequestPersonOut


class RequestList(Out):
    requests: list[RequestEntryOut]


class RequestSubmitted(Out):
    revision: int
    request: AccessRequest
    administrators_notified: int


class RequestWritten(Out):
    revision: int
    request: AccessRequest


class SuccessionWritten(Out):
    revision: int
    succession: Succession


class SuccessionList(Out):
    items: list[Succession]


class PlanItemOut(PlanItem, frozen=True, kw_only=True):
    open: bool


class PlanOut(Out):
    applied: bool
    effective_at: str
    items: list[PlanItemOut]
    moves: int
    open: int
    blocking: list[str]


class SuccessionViewOut(Out):
    succession: Succession
    organisations: dict[str, OrganisationOut]
    plan: PlanOut


class SuccessionApplied(SuccessionViewOut):
    revision: int


def fields_of(value: msgspec.Struct) -> dict[str, Any]:
    """A Struct's fields, to build a wider Struct from it."""
    return {f: getattr(value, f) for f in value.__struct_fields__}


def helpline_card_out(card: HelplineCard, catalogue: Catalogue) -> HelplineCardOut:
    return HelplineCardOut(
        organisation=organisation_out(card.organisation, catalogue),
        parent=organisation_out(card.parent, catalogue) if card.parent else None,
        administrators=list(card.administrators),
        has_administrator=bool(card.administrators),
        guidance=GuidanceOut(nl=card.guidance_nl, en=card.guidance_en),
        match=card.match,
        succeeded_by=[organisation_out(o, catalogue) for o in card.succeeded_by],
        succeeds=[organisation_out(o, catalogue) for o in card.succeeds],
    )
