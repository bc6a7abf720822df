import datetime

import factory

from customers.models import Alignment, Customer, CustomerKind, Department, Institution
from org.models import (
    District,
    Product,
    Region,
    RegistrationStatus,
    Role,
    Team,
    Territory,
    TerritoryAssignment,
    User,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.REP
    language = "en"
    password = factory.django.Password("pw-Secret-123")
    # Registered (备案) from long ago: the rule is on by default (ComplianceSettings).
    registration_number = factory.Sequence(lambda n: f"BA{n:08d}")
    registration_status = RegistrationStatus.REGISTERED
    registration_valid_from = datetime.date(2020, 1, 1)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"Region {n}")
    code = factory.Sequence(lambda n: f"R{n}")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"District {n}")
    code = factory.Sequence(lambda n: f"D{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    code = factory.Sequence(lambda n: f"P{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    code = factory.Sequence(lambda n: f"T{n}")
    call_rate_target = 10


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Territory {n}")
    code = factory.Sequence(lambda n: f"TR{n}")
    team = factory.SubFactory(TeamFactory)
    district = factory.SubFactory(DistrictFactory)

    @factory.post_generation
    def holder(self, create, extracted, **kwargs):
        if extracted:
            self.rep = extracted
            self.save()
            TerritoryAssignment.objects.create(
                territory=self, rep=extracted, valid_from=datetime.date(2025, 1, 1)
            )


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"第{n}人民医院")
    name_en = factory.Sequence(lambda n: f"People's Hospital No. {n}")
    level = "3A"
    city = "上海"
    province = "上海"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"科室{n}")
    specialty = "Oncology"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"医生{n}")
    name_en = factory.Sequence(lambda n: f"Doctor {n}")
    kind = CustomerKind.PRESCRIBER
    institution = factory.SubFactory(InstitutionFactory)
    department = factory.LazyAttribute(lambda o: DepartmentFactory(institution=o.institution))
    title = "主任医师"

    @factory.post_generation
    def territory(self, create, extracted, **kwargs):
        if extracted:
            Alignment.objects.create(
                customer=self, territory=extracted, valid_from=datetime.date(2025, 1, 1)
            )


def classify(customer, product, klass, since=datetime.date(2026, 1, 1)):
    """A computed class of `customer` for `product` from `since` (test data); the customer."""
    from customers.models import ClassHistory

    ClassHistory.objects.create(
        customer=customer,
        product=product,
        klass=klass,
        source="computed",
        valid_from=since,
        cause="measures",
    )
    return customer
