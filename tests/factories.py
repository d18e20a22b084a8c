"""A factory for every model. Rows the system makes itself (publications and their ledger
leaves, checkpoints, index rows, passages) are made by the real services, never forged."""

import hashlib
from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from defpub.filing.models import AttachmentRole, Status
from defpub.models import (
    ApiKeyUsage,
    Attachment,
    AuditAction,
    AuditEvent,
    Disclosure,
    ExaminerKey,
    Invitation,
    LedgerCheckpoint,
    LedgerNode,
    Membership,
    Organisation,
    Publication,
    PublicationCounter,
    PublicationDocument,
    UserProfile,
)
from defpub.organisations.models import Role
from defpub.publications.models import DocumentKind
from review.models import Claim, Feed, FeedFiling, Filing, ScreeningResult, WatchCase
from search.models import CorpusStat, IndexState, Passage, PassageVector, SavedQuery, TermStat


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        """The address counts as confirmed unless `UserFactory(verified=False)`."""
        if create:
            UserProfile.objects.create(
                user=obj,
                email_verified_at=None if extracted is False else timezone.now(),
                verified_email=obj.email,
            )


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Firm {n}")
    slug = factory.Sequence(lambda n: f"firm-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.SUBMITTER


class DisclosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Disclosure

    organisation = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(UserFactory)
    title_en = factory.Sequence(lambda n: f"Self-cleaning filter membrane, variant {n}")
    title_zh = "自清洁过滤膜"
    abstract_en = "A filter membrane whose pores are cleared by ultrasonic pulses."
    abstract_zh = "一种通过超声波脉冲清除孔隙的过滤膜。"
    technical_field = "Water treatment"
    ipc = factory.LazyFunction(lambda: ["B01D 65/02"])
    keywords = factory.LazyFunction(lambda: ["membrane", "ultrasound"])
    inventors = factory.LazyFunction(lambda: ["Li Wei", "Anna Berg"])
    features = factory.LazyFunction(
        lambda: ["a porous membrane", "an ultrasonic transducer coupled to the membrane"]
    )


class UserProfileFactory(factory.django.DjangoModelFactory):
    """The profile UserFactory already made (every user has one), or a new one."""

    class Meta:
        model = UserProfile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation row (no mail is sent; invitation_create sends one)."""

    class Meta:
        model = Invitation

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = Role.SUBMITTER
    invited_by = factory.SubFactory(UserFactory)


class AttachmentFactory(factory.django.DjangoModelFactory):
    """A small text attachment of a draft (content-addressed like a real upload)."""

    class Meta:
        model = Attachment

    class Params:
        content = factory.Sequence(lambda n: f"Lab notes, page {n}.\n".encode())

    disclosure = factory.SubFactory(DisclosureFactory)
    role = AttachmentRole.ATTACHMENT
    display_name = "notes.txt"
    media_type = "text/plain"
    extension = ".txt"
    size = factory.LazyAttribute(lambda a: len(a.content))
    sha256 = factory.LazyAttribute(lambda a: hashlib.sha256(a.content).hexdigest())
    file = factory.LazyAttribute(lambda a: ContentFile(a.content, name="notes.txt"))


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    actor = factory.SubFactory(UserFactory)
    action = AuditAction.ORGANISATION_CREATE
    organisation = factory.SubFactory(OrganisationFactory)
    target_type = "defpub.organisation"
    target_id = factory.LazyAttribute(lambda e: str(e.organisation.pk))


class ExaminerKeyFactory(factory.django.DjangoModelFactory):
    """An examiner API key; the plain key (shown once to its owner) is on `.plain_key`."""

    class Meta:
        model = ExaminerKey

    owner = factory.SubFactory(UserFactory)
    office = "Test Patent Office"
    name = factory.Sequence(lambda n: f"key {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        key, plain = model_class.objects.create_key(**kwargs)
        key.plain_key = plain
        return key


class ApiKeyUsageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiKeyUsage

    key = factory.SubFactory(ExaminerKeyFactory)
    day = factory.LazyFunction(date.today)
    served = 1


class PublicationFactory(factory.Factory):
    """A published publication with its ledger leaf, number, digest, audit row and index
    state, made by the real publishing service. Other keyword arguments go to its disclosure:
    `PublicationFactory(organisation=org, title_en="...")`; `by` is the publisher (None: the
    scheduler). `PublicationFactory.create_batch(3, organisation=org)` publishes three."""

    class Meta:
        model = Publication

    organisation = factory.SubFactory(OrganisationFactory)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("a publication exists only once published: use PublicationFactory()")

    @classmethod
    def _create(cls, model_class, *args, organisation, by=None, **fields):
        from defpub.publications.services import publish_batch

        disclosure = DisclosureFactory(organisation=organisation, status=Status.APPROVED,
                                       **fields)
        publication = publish_batch(disclosures=[disclosure], by=by)[0]
        publication.disclosure.refresh_from_db()  # now published (the service updates it in bulk)
        return publication


class LedgerNodeFactory(factory.Factory):
    """The leaf node (level 0) of a new publication: leaves are only made by publishing."""

    class Meta:
        model = LedgerNode

    publication = factory.SubFactory(PublicationFactory)

    @classmethod
    def _create(cls, model_class, *args, publication):
        return model_class.objects.get(level=0, index=publication.leaf_index)


class LedgerCheckpointFactory(factory.Factory):
    """A checkpoint signed by the real service over every leaf (publishing one if none)."""

    class Meta:
        model = LedgerCheckpoint

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from defpub.ledger.services import checkpoint_issue

        if not Publication.objects.exists():
            PublicationFactory()
        return checkpoint_issue()


class PublicationCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublicationCounter
        django_get_or_create = ("year",)

    year = factory.LazyFunction(lambda: timezone.now().year)


class PublicationDocumentFactory(factory.django.DjangoModelFactory):
    """A stored document (a stand-in content; publication_pdf_make makes the real PDF)."""

    class Meta:
        model = PublicationDocument

    publication = factory.SubFactory(PublicationFactory)
    kind = DocumentKind.PDF
    content = b"%PDF-1.7 stand-in"
    sha256 = factory.LazyAttribute(lambda d: hashlib.sha256(d.content).hexdigest())


class IndexStateFactory(factory.Factory):
    """A publication's index state (publishing queues one): `indexed=True` indexes it."""

    class Meta:
        model = IndexState

    publication = factory.SubFactory(PublicationFactory)
    indexed = False

    @classmethod
    def _create(cls, model_class, *args, publication, indexed):
        if indexed:
            from search.services import publication_index

            return publication_index(publication_id=publication.pk)
        return model_class.objects.get(publication=publication)


def _indexed_publication(**fields) -> Publication:
    from search.services import publication_index

    publication = PublicationFactory(**fields)
    publication_index(publication_id=publication.pk)
    return publication


class PassageFactory(factory.Factory):
    """A passage of a new publication, made by the real indexer (with its vectors and the
    BM25 statistics, TermStat and CorpusStat)."""

    class Meta:
        model = Passage

    @classmethod
    def _create(cls, model_class, *args, **fields):
        publication = _indexed_publication(**fields)
        return model_class.objects.filter(publication=publication).order_by("pk").first()


class PassageVectorFactory(PassageFactory):
    class Meta:
        model = PassageVector

    @classmethod
    def _create(cls, model_class, *args, **fields):
        publication = _indexed_publication(**fields)
        return model_class.objects.filter(publication=publication).order_by("pk").first()


class TermStatFactory(PassageFactory):
    """A lexeme's document frequency, as the indexer keeps it."""

    class Meta:
        model = TermStat

    @classmethod
    def _create(cls, model_class, *args, **fields):
        _indexed_publication(**fields)
        return model_class.objects.order_by("-df", "lexeme").first()


class CorpusStatFactory(PassageFactory):
    class Meta:
        model = CorpusStat

    @classmethod
    def _create(cls, model_class, *args, **fields):
        _indexed_publication(**fields)
        return model_class.objects.order_by("lang").first()


class SavedQueryFactory(factory.django.DjangoModelFactory):
    """A saved search as the search page stores it (key and digest as search.services)."""

    class Meta:
        model = SavedQuery

    key = factory.Sequence(lambda n: f"q{n:08d}")
    text = factory.Sequence(lambda n: f"ultrasonic filter membrane {n}")
    filters = factory.LazyFunction(dict)
    digest = factory.LazyAttribute(lambda q: hashlib.sha256(q.text.encode()).hexdigest())


# -- review: foreign filings, their claims, screening and watch cases -------------------------

class FilingFactory(factory.django.DjangoModelFactory):
    """A foreign application as imported (review.services.filings_import)."""

    class Meta:
        model = Filing

    office = "US"
    number = factory.Sequence(lambda n: f"2026{n:07d}")
    kind = "A1"
    filing_date = date(2025, 3, 1)
    publication_date = date(2026, 9, 3)
    language = "en"
    title = factory.LazyFunction(lambda: {"en": "Ultrasonic filter cleaning"})
    abstract = factory.LazyFunction(lambda: {"en": "A ceramic filter cleaned by ultrasound."})
    earliest_date = date(2025, 3, 1)
    earliest_reason = "filing date 2025-03-01"


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    filing = factory.SubFactory(FilingFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = "A filter comprising: a ceramic membrane; and a transducer."
    independent = True
    elements = factory.LazyFunction(lambda: [
        {"text": "A filter comprising", "start": 0, "end": 19},
        {"text": "a ceramic membrane", "start": 21, "end": 39},
        {"text": "a transducer", "start": 45, "end": 57}])


class ScreeningResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScreeningResult

    claim = factory.SubFactory(ClaimFactory)
    filing = factory.SelfAttribute("claim.filing")
    cutoff = factory.SelfAttribute("claim.filing.earliest_date")


class WatchCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WatchCase

    filing = factory.SubFactory(FilingFactory)
    opened_by = "panel"


class FeedFactory(factory.django.DjangoModelFactory):
    """A weekly file as the feed scan or the upload page records it (review/feeds.py)."""

    class Meta:
        model = Feed

    source = Feed.Source.DROP
    file_name = factory.Sequence(lambda n: f"ipa26{n:04d}.xml")
    path = factory.LazyAttribute(lambda feed: f"processed/{feed.file_name}")
    fmt = "uspto"


class FeedFilingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedFiling

    feed = factory.SubFactory(FeedFactory)
    filing = factory.SubFactory(FilingFactory)
