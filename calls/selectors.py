"""Read paths for calls: scoped (`Call.objects.for_user`), with what each page shows fetched up
front so that a page runs the same number of queries whatever the amount of data."""

import datetime as dt
from itertools import groupby

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext

from core.periods import quarter_of
from core.text import localized
from customers.models import (
    Alignment,
    ClassHistory,
    Customer,
    CustomerKind,
    Klass,
    promoted_class,
)
from customers.selectors import with_territory_klass
from org.models import Product, Territory, User, in_force_on, not_ended_by

from .models import (
    Amendment,
    AmendmentStatus,
    Call,
    CallAttendee,
    CallMaterial,
    CallProduct,
    CallStatus,
    CoachingComment,
    KeyMessage,
    Material,
    MaterialKind,
)


def _attendees():
    return Prefetch(
        "attendances",
        queryset=CallAttendee.objects.select_related("customer").order_by("customer__name"),
    )


def _products(with_messages=False):
    queryset = CallProduct.objects.select_related("product")
    if with_messages:
        queryset = queryset.prefetch_related("key_messages")
    return Prefetch("call_products", queryset=queryset)


def call_list(user):
    """Calls in scope with who, where and which products (for lists and the week view)."""
    return (
        Call.objects.for_user(user)
        .select_related("territory", "rep", "institution", "department")
        .prefetch_related(_attendees(), _products())
    )


def call_get(user, pk):
    """The call with everything its page shows, or 404 (missing or out of scope)."""
    return get_object_or_404(
        Call.objects.for_user(user)
        .select_related("territory__district", "rep", "institution", "department", "co_visitor")
        .prefetch_related(
            _attendees(),
            _products(with_messages=True),
            Prefetch("call_materials", queryset=CallMaterial.objects.select_related("material")),
            Prefetch(
                "coaching_comments",
                queryset=CoachingComment.objects.select_related("author").order_by("created_at"),
            ),
            Prefetch(
                "amendments",
                queryset=Amendment.objects.select_related("requested_by", "decided_by"),
            ),
        ),
        pk=pk,
    )


def planned_today(user, day=None):
    """Today's itinerary: planned calls grouped by hospital → department.

    Returns [(institution, [(department, [call, ...]), ...]), ...] in name order."""
    day = day or timezone.localdate()
    calls = list(
        call_list(user)
        .filter(status=CallStatus.PLANNED, date=day)
        .order_by("institution__name", "department__name", "start_time", "created_at")
    )
    return [
        (institution, [(dep, list(rows)) for dep, rows in groupby(items, lambda c: c.department)])
        for institution, items in (
            (inst, list(group)) for inst, group in groupby(calls, lambda c: c.institution)
        )
    ]


def _by_place(calls):
    """[(institution, [(department, [call, ...]), ...]), ...] keeping the order of `calls`: a
    hospital comes where its first call does, a department likewise within its hospital."""
    places = {}
    for call in calls:
        departments = places.setdefault(call.institution_id, (call.institution, {}))[1]
        departments.setdefault(call.department_id, (call.department, []))[1].append(call)
    return [
        (institution, list(departments.values())) for institution, departments in places.values()
    ]


def today_calls(user, day=None):
    """The day's calls in time order (calls without a time after those with one), grouped by
    hospital → department: the planned ones still to log and those logged (completed) that day,
    which stay on the list; cancelled calls are left out.

    Returns {"places": [(institution, [(department, [call, ...]), ...]), ...], "done": completed
    calls, "total": all calls}. Two queries."""
    day = day or timezone.localdate()
    calls = list(
        Call.objects.for_user(user)
        .select_related("institution", "department")
        .prefetch_related(_attendees())
        .filter(status__in=(CallStatus.PLANNED, CallStatus.COMPLETED), date=day)
        .order_by(F("start_time").asc(nulls_last=True), "created_at", "pk")
    )
    return {
        "places": _by_place(calls),
        "done": sum(1 for call in calls if call.status == CallStatus.COMPLETED),
        "total": len(calls),
    }


# A "next appointment" is due from this many days ahead, and stays due this many days after.
COMMITMENT_LEAD_DAYS = 2
COMMITMENT_DUE_DAYS = 30


def commitments_due(user, day=None, limit=50):
    """Next appointments promised on a completed call of the user's territories that fall due:
    dated from `COMMITMENT_DUE_DAYS` before `day` to `COMMITMENT_LEAD_DAYS` after it, for an
    attendee not visited (a completed call of that territory) since the promising call.

    Rows of `CallAttendee` (the customer and the promising `call`), soonest promise first. One
    query."""
    day = day or timezone.localdate()
    promised_on, logged_at = OuterRef("call__date"), OuterRef("call__completed_at")
    later = CallAttendee.objects.filter(
        Q(call__date__gt=promised_on) | Q(call__date=promised_on, call__completed_at__gt=logged_at),
        customer=OuterRef("customer_id"),
        call__territory=OuterRef("call__territory_id"),
        call__status=CallStatus.COMPLETED,
    )
    return list(
        CallAttendee.objects.filter(
            call__in=Call.objects.for_user(user).completed(),
            call__next_appointment_date__range=(
                day - dt.timedelta(days=COMMITMENT_DUE_DAYS),
                day + dt.timedelta(days=COMMITMENT_LEAD_DAYS),
            ),
        )
        .exclude(Exists(later))
        .select_related("customer__institution", "customer__department", "call")
        .order_by("call__next_appointment_date", "customer__name", "pk")[:limit]
    )


def recent_calls(user, limit=5):
    """The last calls logged (completed), newest first."""
    return list(
        call_list(user)
        .filter(status=CallStatus.COMPLETED)
        .order_by("-completed_at", "-date")[:limit]
    )


def week(user, monday, filters=None):
    """The calls of the week starting `monday`: [(day, [call, ...]), ...] for 7 days."""
    sunday = monday + dt.timedelta(days=6)
    calls = call_list(user).filter(date__range=(monday, sunday))
    if filters is not None:
        calls = filters(calls)
    by_day = {}
    for call in calls.order_by("date", "start_time", "created_at"):
        by_day.setdefault(call.date, []).append(call)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    return [(day, by_day.get(day, [])) for day in days]


def customer_calls(user, customer, limit=None):
    """A customer's call history (what was discussed and committed), newest first."""
    calls = (
        Call.objects.for_user(user)
        .with_customer(customer)
        .exclude(status=CallStatus.CANCELLED)
        .select_related("rep", "co_visitor", "institution", "department")
        .prefetch_related(
            _products(with_messages=True),
            Prefetch("call_materials", queryset=CallMaterial.objects.select_related("material")),
        )
        .annotate(attendee_count=Count("attendances"))
        .order_by("-date", "-start_time")
    )
    return list(calls[:limit]) if limit else calls


def customer_last_calls(user, customer, limit=5):
    """The customer's last completed calls (the profile's "what happened"), newest first."""
    return list(customer_calls(user, customer).filter(status=CallStatus.COMPLETED)[:limit])


def customer_next_call(user, customer, day=None):
    """The customer's next planned call in the user's scope (today or later), or None."""
    day = day or timezone.localdate()
    return (
        Call.objects.for_user(user)
        .with_customer(customer)
        .filter(status=CallStatus.PLANNED, date__gte=day)
        .select_related("rep", "institution", "department")
        .order_by("date", "start_time", "created_at")
        .first()
    )


def recent_feedback(user, limit=50):
    """Coaching on the user's calls (a rep) or in the user's scope (a manager), newest first."""
    comments = CoachingComment.objects.for_user(user).select_related(
        "author", "call__institution", "call__department", "call__rep"
    )
    if user.is_rep:
        comments = comments.filter(call__rep=user)
    return list(
        comments.prefetch_related(
            Prefetch(
                "call__attendances",
                queryset=CallAttendee.objects.select_related("customer").order_by("customer__name"),
            )
        ).order_by("-created_at")[:limit]
    )


def amendments_to_decide(user):
    """Amendment requests waiting for this DM (or any admin)."""
    amendments = Amendment.objects.for_user(user).filter(status=AmendmentStatus.PENDING)
    if not user.is_admin:
        amendments = amendments.filter(call__territory__district__dm=user)
    return amendments.select_related("call__institution", "requested_by").order_by("created_at")


def logging_territory(user, customer):
    """The user's territory the customer is aligned to (today or later), or None."""
    return (
        Territory.objects.for_user(user)
        .filter(
            Exists(
                Alignment.objects.filter(
                    not_ended_by(timezone.localdate()), customer=customer, territory=OuterRef("pk")
                )
            )
        )
        .select_related("team", "district")
        .order_by("code")
        .first()
    )


def attendee_choices(territory, institution):
    """Customers of the territory a call offers as attendees, each with its class in the
    territory (`klass`) and `here` (0 at `institution`, 1 elsewhere): the institution's first,
    then the rest of the territory, by institution → department → name. One query."""
    today = timezone.localdate()
    aligned = Alignment.objects.filter(not_ended_by(today), territory=territory).values(
        "customer_id"
    )
    customers = (
        Customer.objects.filter(pk__in=aligned)
        .select_related("institution", "department")
        .annotate(
            here=Case(
                When(institution=institution, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("here", "institution__name", "department__name", "name")
    )
    return with_territory_klass(customers, territory, today)


def team_products(territory):
    """Active products of the territory's team with their active key messages."""
    return (
        Product.objects.filter(teams=territory.team_id, is_active=True)
        .prefetch_related(
            Prefetch(
                "key_messages",
                queryset=KeyMessage.objects.filter(is_active=True),
                to_attr="active_key_messages",
            )
        )
        .order_by("code")
    )


def classed_products(customers, products, day=None):
    """Ids of `products` for which one of `customers` has a class A–D on `day` (a call's
    default products when its plan names none)."""
    day = day or timezone.localdate()
    return set(
        ClassHistory.objects.filter(
            in_force_on(day),
            customer__in=[c.pk for c in customers],
            product__in=[p.pk for p in products],
            klass__in=[Klass.A, Klass.B, Klass.C, Klass.D],
        ).values_list("product_id", flat=True)
    )


def active_materials():
    return Material.objects.filter(is_active=True).order_by("kind", "name")


def for_team(materials, team_id):
    """Of `materials`, those a rep of team `team_id` may hand over: of one of the team's
    products or of no product, and restricted to no team or to this one."""
    of_products = Q(product__isnull=True) | Q(
        product__in=Product.objects.filter(teams=team_id).values("pk")
    )
    restricted = Material.teams.through.objects.filter(material=OuterRef("pk"))
    for_team_ = restricted.filter(team=team_id)
    return materials.filter(of_products).filter(~Exists(restricted) | Exists(for_team_))


def team_materials(territory):
    """Active materials and samples a rep of the territory may hand over (`for_team`)."""
    return for_team(active_materials(), territory.team_id)


def sample_allowance_left(customers, day, limit, exclude_call=None):
    """{customer id: sample units each customer may still receive in the quarter of `day`}:
    `limit` minus the samples of their completed calls of that quarter (a group call counts for
    every attendee), never below 0; `exclude_call` is the call being written. One query for
    all customers; an empty dict when there is no limit."""
    if limit is None:
        return {}
    ids = [getattr(c, "pk", c) for c in customers]
    quarter = quarter_of(day)
    start, end = quarter.start, quarter.end
    given = (
        CallAttendee.objects.filter(
            customer__in=ids,
            call__status=CallStatus.COMPLETED,
            call__date__range=(start, end),
        )
        .exclude(call_id=getattr(exclude_call, "pk", exclude_call))
        .values("customer")
        .annotate(
            total=Sum(
                "call__call_materials__quantity",
                filter=Q(call__call_materials__material__kind=MaterialKind.SAMPLE),
            )
        )
        .values_list("customer", "total")
    )
    left = dict.fromkeys(ids, limit)
    for customer_id, total in given:
        left[customer_id] = max(limit - (total or 0), 0)
    return left


def co_visitor_choices(territory):
    """The rep's managers: the district's DM and the region's manager."""
    district = territory.district
    ids = [pk for pk in (district.dm_id, district.region.manager_id) if pk]
    return User.objects.filter(pk__in=ids)


def audit_trail(call):
    """Every version of the call and of its attendees, products and materials, newest first:
    [{"when", "who", "what", "reason", "changes": [(field, old, new), ...]}, ...]."""
    entries = []
    versions = list(
        call.history.select_related(
            "history_user", "territory", "rep", "institution", "department", "co_visitor"
        ).order_by("history_date")
    )
    fields = [
        f
        for f in Call._meta.concrete_fields
        if f.name not in ("id", "version", "created_at", "updated_at", "completed_at")
    ]
    previous = None
    for version in versions:
        changes = []
        for field in fields:
            new = _display(version, field)
            old = _display(previous, field) if previous is not None else None
            if previous is None or old != new:
                if previous is None and new in ("", "—"):
                    continue
                changes.append((field.verbose_name, old, new))
        entries.append(
            {
                "when": version.history_date,
                "who": version.history_user,
                "what": version.get_history_type_display(),
                "reason": version.history_change_reason or "",
                "changes": changes,
                "version": version.version,
            }
        )
        previous = version
    rows = [
        (
            CallAttendee.history.filter(call_id=call.pk).select_related("customer", "history_user"),
            lambda h: str(h.customer),
        ),
        (
            CallProduct.history.filter(call_id=call.pk).select_related("product", "history_user"),
            lambda h: " · ".join(
                filter(None, [str(h.product), h.feedback, h.get_adoption_stage_display()])
            ),
        ),
        (
            CallMaterial.history.filter(call_id=call.pk).select_related("material", "history_user"),
            lambda h: f"{h.material} × {h.quantity}",
        ),
    ]
    for queryset, describe in rows:
        for h in queryset:
            entries.append(
                {
                    "when": h.history_date,
                    "who": h.history_user,
                    "what": f"{capfirst(h.instance_type._meta.verbose_name)}: "
                    f"{h.get_history_type_display()}",
                    "reason": "",
                    "changes": [("", None, describe(h))],
                    "version": None,
                }
            )
    entries.sort(key=lambda e: e["when"], reverse=True)
    return entries


def _display(version, field):
    if field.is_relation:
        related = getattr(version, field.attname)
        if related is None:
            return "—"
        try:
            return str(getattr(version, field.name))
        except ObjectDoesNotExist:  # a deleted reference shows its id
            return str(related)
    if field.choices:
        return str(dict(field.flatchoices).get(getattr(version, field.attname), "")) or "—"
    value = getattr(version, field.attname)
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


# The amendment review: the call, the reason and the proposal field by field, before → after.


def amendment_get(user, pk):
    """The amendment with its call and people, or 404 (missing or out of scope)."""
    return get_object_or_404(
        Amendment.objects.for_user(user).select_related(
            "call__territory__district",
            "call__rep",
            "call__institution",
            "call__department",
            "requested_by",
            "decided_by",
        ),
        pk=pk,
    )


_REFERENCES = {"institution": "institutions", "department": "departments", "co_visitor": "users"}
_RELATIONS = ("customers", "products", "materials")


def call_values(call, names):
    """The call's current values of the fields `names`, in the shape of an amendment's `changes`
    (ids for references; the "before" of an amendment)."""
    data = {}
    for name in names:
        if name == "customers":
            data[name] = [str(pk) for pk in call.attendances.values_list("customer_id", flat=True)]
        elif name == "products":
            data[name] = [
                {
                    "product": str(row.product_id),
                    "key_messages": [str(m.pk) for m in row.key_messages.all()],
                    "feedback": row.feedback or "",
                    "adoption_stage": row.adoption_stage or "",
                }
                for row in call.call_products.prefetch_related("key_messages").order_by("pk")
            ]
        elif name == "materials":
            data[name] = [
                {"material": str(row.material_id), "quantity": row.quantity}
                for row in call.call_materials.order_by("pk")
            ]
        else:
            field = Call._meta.get_field(name)
            value = getattr(call, field.attname)
            if field.is_relation:
                value = str(value) if value is not None else None
            elif isinstance(value, dt.date | dt.time):
                value = value.isoformat()
            data[name] = value
    return data


def _ids(*versions):
    """Every id the versions name, by kind."""
    kinds = ("institutions", "departments", "users", "customers", "products", "key_messages")
    ids = {kind: set() for kind in (*kinds, "materials")}
    for version in versions:
        for name, kind in _REFERENCES.items():
            if version.get(name):
                ids[kind].add(version[name])
        ids["customers"].update(version.get("customers") or ())
        for row in version.get("products") or ():
            ids["products"].add(row["product"])
            ids["key_messages"].update(row.get("key_messages") or ())
        for row in version.get("materials") or ():
            ids["materials"].add(row["material"])
    return ids


def _names(ids):
    """{kind: {str(pk): display name}}: one query per kind named, whatever the count."""
    from customers.models import Department, Institution

    models = {
        "institutions": Institution,
        "departments": Department,
        "users": User,
        "customers": Customer,
        "products": Product,
        "key_messages": KeyMessage,
        "materials": Material,
    }
    names = {kind: {} for kind in models}
    for kind, model in models.items():
        if not ids[kind]:
            continue
        objects = model.objects.filter(pk__in=ids[kind])
        if kind == "customers":
            rows = objects.values_list("pk", "name", "name_en")
            names[kind] = {str(pk): localized(name, en) for pk, name, en in rows}
        elif kind == "users":
            names[kind] = {str(user.pk): str(user) for user in objects}
        else:
            names[kind] = {str(obj.pk): obj.display_name for obj in objects}
    return names


def _choice(model, field, value):
    return str(dict(model._meta.get_field(field).choices).get(value, value or ""))


def _plain(name, value, names):
    """A plain field's value as the reader sees it ("" for none)."""
    if value is None or value == "":
        return ""
    if name in _REFERENCES:
        return names[_REFERENCES[name]].get(str(value), "?")
    if name == "start_time":
        return str(value)[:5]
    if name == "is_pim":
        return gettext("Yes") if value else gettext("No")
    if name == "channel":
        return _choice(Call, "channel", value)
    return str(value)


def amendment_diff(amendment):
    """The proposal field by field: [{"label", "before", "after"}] for what differs, in the
    form's order, ids resolved to names in the user's language (a fixed number of queries).
    "before" is the call as it was when the amendment was requested (kept on the amendment); a
    waiting amendment requested before that was kept compares with the call as it is now."""
    changes = amendment.changes or {}
    original = amendment.original or {}
    if not original and amendment.status == AmendmentStatus.PENDING:
        original = call_values(amendment.call, changes)
    names = _names(_ids(original, changes))
    rows = []

    def add(label, before, after):
        if before != after:
            rows.append({"label": capfirst(str(label)), "before": before, "after": after})

    for name in (n for n in changes if n not in _RELATIONS):
        add(
            Call._meta.get_field(name).verbose_name,
            _plain(name, original.get(name), names),
            _plain(name, changes[name], names),
        )
    if "customers" in changes:

        def people(version):
            found = (names["customers"].get(pk, "?") for pk in version.get("customers") or ())
            return "、".join(sorted(found))

        add(gettext("attendees"), people(original), people(changes))
    if "products" in changes:
        before = {row["product"]: row for row in original.get("products") or ()}
        after = {row["product"]: row for row in changes["products"]}

        def facets(row):
            messages = (names["key_messages"].get(pk, "?") for pk in row.get("key_messages") or ())
            return (
                (gettext("key messages"), "、".join(messages)),
                (gettext("feedback"), row.get("feedback") or ""),
                (
                    gettext("adoption stage"),
                    _choice(CallProduct, "adoption_stage", row.get("adoption_stage")),
                ),
            )

        def summary(row):
            shown = [f"{label}: {value}" for label, value in facets(row) if value]
            return " · ".join(shown) or gettext("discussed")

        for product in [*before, *(pk for pk in after if pk not in before)]:
            product_name = names["products"].get(product, "?")
            if product in before and product in after:
                for (label, old), (_label, new) in zip(
                    facets(before[product]), facets(after[product]), strict=True
                ):
                    add(f"{product_name} · {label}", old, new)
            elif product in after:
                add(product_name, "", summary(after[product]))
            else:
                add(product_name, summary(before[product]), "")
    if "materials" in changes:

        def materials(version):
            return ", ".join(
                f"{names['materials'].get(row['material'], '?')} × {row['quantity']}"
                for row in version.get("materials") or ()
            )

        add(gettext("materials and samples"), materials(original), materials(changes))
    return rows


def first_customer_klass(day=None):
    """Expression on calls: the class today (or on `day`) of the call's first customer (by
    name) in the call's territory — as the customer list shows it (`territory_klass`): N for a
    non-prescriber, None when unclassified."""
    day = day or timezone.localdate()
    first = CallAttendee.objects.filter(call=OuterRef("pk")).order_by(
        "customer__name", "customer_id"
    )
    return Case(
        When(desk_first_kind=CustomerKind.NON_PRESCRIBER, then=Value(Klass.N.value)),
        default=promoted_class(
            Territory.objects.filter(pk=OuterRef(OuterRef(OuterRef("territory")))),
            day,
            "desk_first_customer",
        ),
        output_field=CharField(),
    ), {
        "desk_first_customer": Subquery(first.values("customer_id")[:1]),
        "desk_first_kind": Subquery(first.values("customer__kind")[:1]),
    }


def call_desk(user, day=None):
    """The managers' calls table: calls in scope with rep, institution, customers, products
    with their key messages and feedback, and `klass` (first_customer_klass); a fixed number of
    queries however many rows."""
    klass, firsts = first_customer_klass(day)
    return (
        Call.objects.for_user(user)
        .select_related("territory", "rep", "institution", "department")
        .prefetch_related(_attendees(), _products(with_messages=True))
        .annotate(**firsts)
        .annotate(klass=klass)
    )


# Privacy (PIPL / GDPR): the calls a person attended, for their export (customers.privacy).


def personal_calls(customer) -> list[dict]:
    """The calls `customer` attended with the call's fields, its products (feedback, adoption
    stage, key messages) and materials: four queries whatever the number of calls. The other
    attendees are counted, not named (they are other people's data)."""
    calls = Call.objects.filter(
        pk__in=CallAttendee.objects.filter(customer=customer).values("call_id")
    )
    rows = list(
        calls.order_by("date", "start_time", "pk").values(
            *[f.attname for f in Call._meta.concrete_fields],
            "territory__code",
            "rep__username",
            "institution__name",
            "department__name",
            attendees=Count("attendances", distinct=True),
        )
    )
    products: dict = {}
    for row in CallProduct.objects.filter(call__in=calls.values("pk")).values(
        "pk", "call_id", "product__code", "feedback", "adoption_stage"
    ):
        row["key_messages"] = []
        products.setdefault(row["call_id"], []).append(row)
    by_pk = {p["pk"]: p for rows_ in products.values() for p in rows_}
    for call_product, text in CallProduct.key_messages.through.objects.filter(
        callproduct__call__in=calls.values("pk")
    ).values_list("callproduct_id", "keymessage__text"):
        by_pk[call_product]["key_messages"].append(text)
    materials: dict = {}
    for row in CallMaterial.objects.filter(call__in=calls.values("pk")).values(
        "call_id", "material__name", "quantity"
    ):
        materials.setdefault(row["call_id"], []).append(row)
    for row in rows:
        row["products"] = products.get(row["id"], [])
        row["materials"] = materials.get(row["id"], [])
    return rows
