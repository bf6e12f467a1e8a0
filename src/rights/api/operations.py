"""Every operation's stable ``operationId``, its summary, and a description where the handler has no docstring.

Clients generate method names from the ``operationId``: they never change once published. A route without
a row here makes ``create_app`` fail (``name_operations``), and tests/api/test_contract.py checks that
every operation of the document has an id, a summary, a description and tags.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

_TYPED = re.compile(r":[a-z]+}")  # {org:str} -> {org}, as the document writes the path

# "METHOD /path": (operationId, summary, description when the handler has no docstring)
OPERATIONS: dict[str, tuple[str, str, str | None]] = {
    "POST /v1/check": ("checkAccess", "May this person act for this organisation?", None),
    "POST /v1/check/batch": ("checkAccessBatch", "Ask up to 1,000 check questions at once", None),
    "GET /v1/changes": ("listChanges", "Read the change feed after a revision", None),
    "POST /v1/grants": ("grantRight", "Grant a right to a person for an organisation",
                        "A local administrator of the organisation grants a role (and measure) to a person who "
                        "works there, for a validity window. The answer carries the write's revision."),
    "GET /v1/grants/{grant_id}": ("readGrant", "Read a grant", "One grant, active or not, with its version."),
    "POST /v1/grants/{grant_id}/revoke": ("revokeGrant", "Revoke a grant",
                                          "Stamps the grant revoked with a reason; it stays in the history."),
    "PATCH /v1/grants/{grant_id}/validity": ("changeGrantValidity", "Change a grant's validity window",
                                             "Send `expected_version` to get 409 when someone changed it since."),
    "GET /v1/grants/{grant_id}/history": ("readGrantHistory", "Read a grant's history",
                                          "The grant and every change to it, from the change log."),
    "GET /v1/organisations": ("listOrganisations", "List organisations, or find one by any identifier", None),
    "POST /v1/organisations": ("createOrganisation", "Register an organisation",
                               "Platform staff register an organisation with its identifiers."),
    "GET /v1/organisations/{org}": ("lookupOrganisation", "Look up an organisation by id or any identifier",
                                    "`org` is the opaque id or any identifier in any common form (enterprise "
                                    "number, OVO code, NIS code, institution number)."),
    "PATCH /v1/organisations/{org}": ("updateOrganisation", "Change an organisation's name, address or identifiers",
                                      "Only the fields sent change."),
    "POST /v1/organisations/{org}/freeze": ("freezeOrganisation", "Freeze an organisation",
                                            "Every check for it answers no until it is unfrozen."),
    "POST /v1/organisations/{org}/unfreeze": ("unfreezeOrganisation", "Unfreeze an organisation",
                                              "Its grants count again."),
    "POST /v1/organisations/{org}/cease": ("ceaseOrganisation", "Mark an organisation as ceased",
                                           "A ceased organisation answers no to every check."),
    "POST /v1/organisations/{org}/legal-representatives": (
        "addLegalRepresentative", "Record a legal representative",
        "A legal representative may appoint themself main local administrator."),
    "GET /v1/organisations/{org}/administrators": (
        "listAdministrators", "List an organisation's local administrators",
        "Contact details only where the administrator agreed, or to the organisation's own administrators."),
    "POST /v1/organisations/{org}/administrators": ("appointAdministrator", "Appoint a local administrator",
                                                    "Optionally limited to some applications."),
    "DELETE /v1/organisations/{org}/administrators/{person}": (
        "removeAdministrator", "Remove a local administrator", "Stamps the appointment removed, with a reason."),
    "PATCH /v1/organisations/{org}/administrators/{person}/contact": (
        "updateAdministratorContact", "Change an administrator's contact details",
        "Whether the helpline may disclose them, and the e-mail address and phone number."),
    "GET /v1/organisations/{org}/work-relations": ("listWorkRelations", "List an organisation's work relations",
                                                   "Who works for it, with which user type, since when."),
    "POST /v1/organisations/{org}/work-relations": ("addWorkRelation", "Add a person as a user of the organisation",
                                                    "A right can only be granted to a person who works there."),
    "POST /v1/organisations/{org}/work-relations/{relation}/end": (
        "endWorkRelation", "End a work relation", "The person's grants there stop counting."),
    "GET /v1/organisations/{org}/persons": ("listPersonsOfOrganisation", "Who may act for this organisation", None),
    "GET /v1/organisations/{org}/grants": ("listGrantsOfOrganisation", "List an organisation's grants",
                                           "Every grant of the organisation, active or not."),
    "GET /v1/organisations/{org}/mandates": ("listMandatesOfOrganisation", "List an organisation's mandates",
                                             "Mandates it gave and mandates it holds."),
    "POST /v1/persons": ("registerPerson", "Register a person by national register number",
                         "201 with the new person, or 200 with the person already registered under that number."),
    "GET /v1/persons/{person}": ("readPerson", "Read a person",
                                 "The national register number is masked unless the caller is this person."),
    "POST /v1/persons/{person}/freeze": ("freezePerson", "Freeze a person",
                                         "Every check for this person answers no until unfrozen."),
    "POST /v1/persons/{person}/unfreeze": ("unfreezePerson", "Unfreeze a person", "The person's grants count again."),
    "GET /v1/persons/{person}/grants": ("listGrantsOfPerson", "List a person's grants",
                                        "Every grant of the person, active or not."),
    "GET /v1/persons/{person}/organisations": ("listOrganisationsOfPerson",
                                               "The organisations this person may act for", None),
    "GET /v1/persons/{person}/claims": ("readClaims", "A person's rights as token claims", None),
    "POST /v1/mandates": ("proposeMandate", "Propose a mandate",
                          "An organisation lets another act for it on some applications; both sides accept."),
    "GET /v1/mandates/{mandate_id}": ("readMandate", "Read a mandate", "The mandate and who accepted it when."),
    "POST /v1/mandates/{mandate_id}/accept": ("acceptMandate", "Accept a mandate",
                                              "The mandator's or the holder's administrator accepts."),
    "POST /v1/mandates/{mandate_id}/revoke": ("revokeMandate", "Revoke a mandate", "Either side may revoke."),
    "POST /v1/requests": ("requestRight", "Request a right",
                          "The organisation's local administrators are e-mailed; their addresses are not shown."),
    "GET /v1/requests": ("listRequests", "List requests for rights", None),
    "POST /v1/requests/{request_id}/approve": ("approveRequest", "Approve a request",
                                               "Grants the requested right."),
    "POST /v1/requests/{request_id}/refuse": ("refuseRequest", "Refuse a request", "With a reason for the person."),
    "POST /v1/requests/{request_id}/withdraw": ("withdrawRequest", "Withdraw one's own request",
                                                "The requester withdraws a pending request."),
    "GET /v1/helpline/lookup": ("lookupForHelpline", "Find an organisation and who administers it", None),
    "GET /v1/audit": ("listAuditEvents", "Read the audit trail",
                      "Who did or read what, when; optionally for one organisation."),
    "GET /v1/audit/head": ("readAuditHead", "The heads of the hash chains", None),
    "GET /v1/catalogue": ("readCatalogue", "The applications, roles, measures and organisation types",
                          "The catalogue as loaded from the policies."),
    "GET /v1/exports/administrators.csv": ("exportAdministratorsCsv", "Export local administrators as CSV", None),
    "GET /v1/exports/administrators.pdf": ("exportAdministratorsPdf", "Export local administrators as PDF", None),
    "GET /v1/recertifications": ("listRecertifications", "List recertification campaigns", None),
    "POST /v1/recertifications": ("startRecertification", "Start a recertification campaign", None),
    "GET /v1/successions": ("listSuccessions", "List successions",
                            "Optionally those an organisation takes part in."),
    "POST /v1/successions": ("enterSuccession", "Enter a succession", None),
    "GET /v1/successions/{succession_id}": ("readSuccession", "Read a succession and its plan", None),
    "GET /v1/successions/{succession_id}/preview": ("previewSuccession", "Preview what a succession would move",
                                                    "The plan computed now; nothing moves."),
    "POST /v1/successions/{succession_id}/apply": ("applySuccession", "Apply a succession", None),
    "POST /v1/successions/{succession_id}/withdraw": ("withdrawSuccession", "Withdraw a proposed succession",
                                                      "With a reason; nothing moved."),
    "GET /healthz": ("health", "Is the process alive", "Always ok while the process answers."),
    "GET /readyz": ("readiness", "Is the service ready",
                    "503 while the database is out of reach; the directory's sync status when configured."),
    "GET /schema": ("openapiDocument", "This OpenAPI document as JSON", "The document as JSON."),
    "GET /schema/openapi.json": ("openapiJson", "This OpenAPI document as JSON", "The document as JSON."),
    "GET /schema/openapi.yaml": ("openapiYaml", "This OpenAPI document as YAML", "The document as YAML."),
    "GET /schema/openapi.yml": ("openapiYml", "This OpenAPI document as YAML", "The document as YAML."),
    "GET /schema/{path}": ("openapiRendering", "Another rendering of this document", "404 when there is none."),
}


def _operation_id(handler: object, method: str, components: list[Any]) -> str:
    path = "/" + "/".join(c if isinstance(c, str) else "{" + c.name + "}" for c in components)
    return OPERATIONS[f"{getattr(method, 'value', method)} {path}"][0]


def name_operations(app: Litestar) -> None:
    """Give every documented operation its id, summary and (when the handler has no docstring) description."""
    unnamed = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            for method in handler.http_methods:
                row = OPERATIONS.get(f"{method} {_TYPED.sub('}', route.path)}")
                if row is None:
                    unnamed.append(f"{method} {route.path}")
                    continue
                _, handler.summary, description = row
                handler.operation_id = _operation_id  # one handler may serve two paths (/schema and …json)
                if description and not (handler.fn.__doc__ or "").strip():
                    handler.description = description
    if unnamed:
        raise RuntimeError(f"operations without an operationId in rights.api.operations: {sorted(unnamed)}")
