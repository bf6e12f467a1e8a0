"""The rest of the /beheer administrator screens, registered together in rights.web (one line there):
adding a person, a person's page, a grant's page (validity and history), the mandates, ending a work relation and the audit view."""

from __future__ import annotations

from rights.web.beheer_audit import BeheerAuditScreen
from rights.web.beheer_grantpage import BeheerGrantScreen
from rights.web.beheer_mandates import BeheerMandateScreen
from rights.web.beheer_people import BeheerPeopleScreen
from rights.web.beheer_person import BeheerPersonScreen
from rights.web.beheer_relations import BeheerRelationScreen

BEHEER_MORE = [BeheerPeopleScreen, BeheerPersonScreen, BeheerGrantScreen, BeheerMandateScreen, BeheerRelationScreen,
               BeheerAuditScreen]
