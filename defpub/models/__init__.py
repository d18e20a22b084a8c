from defpub.accounts.models import UserProfile
from defpub.audit.models import AuditAction, AuditEvent
from defpub.examiners.models import ApiKeyUsage, ExaminerKey
from defpub.filing.models import Attachment, Disclosure
from defpub.ledger.models import LedgerCheckpoint, LedgerNode
from defpub.organisations.models import Invitation, Membership, Organisation
from defpub.publications.models import Publication, PublicationCounter, PublicationDocument

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
