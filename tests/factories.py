import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from defpub.models import Disclosure, Membership, Organisation, UserProfile
from defpub.models.organisations import Role


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

