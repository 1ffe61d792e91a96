"""factory-boy factories for identity rows. Records are made through
``crm.records`` (see ``tests.records``), never by factories."""

import factory

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")
