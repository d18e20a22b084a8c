from defpub.models.audit import AuditEvent
from defpub.models.disclosures import Attachment, Disclosure
from defpub.models.ledger import LedgerCheckpoint, LedgerNode
from defpub.models.organisations import Invitation, Membership, Organisation
from defpub.models.publications import Publication, PublicationCounter

__all__ = [
    "Attachment",
    "AuditEvent",
    "Disclosure",
    "Invitation",
    "LedgerCheckpoint",
    "LedgerNode",
    "Membership",
    "Organisation",
    "Publication",
    "PublicationCounter",
]
