import datetime

import factory
from django.utils import timezone

from calls.models import (
    Call,
    CallAttendee,
    CallMaterial,
    CallProduct,
    CallStatus,
    KeyMessage,
    Material,
    MaterialKind,
)
from tests.factories import ProductFactory


class KeyMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyMessage

    product = factory.SubFactory(ProductFactory)
    text = factory.Sequence(lambda n: f"Key message {n}")


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material

    name = factory.Sequence(lambda n: f"Leaflet {n}")
    code = factory.Sequence(lambda n: f"M{n}")
    kind = MaterialKind.MATERIAL


def make_call(territory, attendees, *, products=(), materials=(), **fields):
    """A call written directly, without the service's rules (test data)."""
    status = fields.setdefault("status", CallStatus.COMPLETED)
    fields.setdefault("date", timezone.localdate())
    fields.setdefault("start_time", datetime.time(9, 30))
    fields.setdefault("objective", "Present the new data")
    if status == CallStatus.COMPLETED:
        fields.setdefault("completed_at", timezone.now())
    call = Call.objects.create(
        territory=territory,
        rep=fields.pop("rep", territory.rep),
        institution=attendees[0].institution,
        department=attendees[0].department,
        **fields,
    )
    CallAttendee.objects.bulk_create(CallAttendee(call=call, customer=c) for c in attendees)
    for product, messages, feedback in products:
        row = CallProduct.objects.create(call=call, product=product, feedback=feedback)
        row.key_messages.set(messages)
    CallMaterial.objects.bulk_create(
        CallMaterial(call=call, material=m, quantity=q) for m, q in materials
    )
    return call
