import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from crm.contacts.models import Campaign, Contact, Salesperson


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("secret-pass-123")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set([Group.objects.get(name=name) for name in extracted])


class SalespersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Salesperson
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SP{n:03d}")
    name = factory.Faker("name")
    email = factory.LazyAttribute(lambda s: f"{s.code.lower()}@example.com")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    type = Contact.Type.COMPANY
    name = factory.Faker("company")
    city = factory.Faker("city")
    country = "GB"
    phone = factory.Faker("phone_number")
    email = factory.Sequence(lambda n: f"office{n}@example.com")
    salesperson = factory.SubFactory(SalespersonFactory)


class PersonFactory(CompanyFactory):
    type = Contact.Type.PERSON
    company = factory.SubFactory(CompanyFactory)
    name = factory.Faker("name")
    salesperson = factory.LazyAttribute(lambda p: p.company.salesperson if p.company else None)
    email = factory.Sequence(lambda n: f"person{n}@example.com")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    description = factory.Faker("catch_phrase")
