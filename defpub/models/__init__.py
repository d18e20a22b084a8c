from defpub.models.accounts import UserProfile
from defpub.models.api_keys import ApiKeyUsage, ExaminerKey
from defpub.models.audit import AuditAction, AuditEvent
from defpub.models.disclosures import Attachment, Disclosure
from defpub.models.ledger import LedgerCheckpoint, LedgerNode
from defpub.models.organisations import Invitation, Membership, Organisation
from defpub.models.publications import Publication, PublicationCounter, PublicationDocument

__all__ = [
    "ApiKeyUsage",
    "Attachment",
    "AuditAction",
    "AuditEvent",
    "Disclosure",
    "ExaminerKey",
    "Invitation",
    "LedgerCheckpoint",
    "LedgerNode",
    "Membership",
    "Organisation",
    "Publication",
    "PublicationCounter",
    "UserProfile",
    "PublicationDocument",
]
