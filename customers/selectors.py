"""Read paths for customers: scoped, with what each page shows fetched up front."""

from django.db.models import (
    Case,
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from org.models import Product, Territory, in_force_on

from . import privacy
from .models import (
    STRATEGIES,
    Alignment,
    ChangeRequest,
    ClassHistory,
    ClassOverride,
    Customer,
    CustomerKind,
    CustomerStatus,
    Department,
    Institution,
    Klass,
    Measure,
    Threshold,
    has_promoted_class,
    promoted_class,
)
from .pinyin import search_keys


def customer_list(user):
    return Customer.objects.for_user(user).select_related("institution", "department")


def customer_get(user, pk):
    """The customer, or 404 for one that is missing or out of the user's scope."""
    alignments = Alignment.objects.for_user(user).select_related(
        "territory__team", "territory__rep"
    )
    return get_object_or_404(
        Customer.objects.for_user(user)
        .select_related("institution", "department")
        .prefetch_related(
            Prefetch("alignments", queryset=alignments, to_attr="visible_alignments")
        ),
        pk=pk,
    )


def alignment_get(user, pk):
    """The alignment, or 404 for one that is missing or out of the user's scope."""
    return get_object_or_404(
        Alignment.objects.for_user(user).select_related("customer", "territory"), pk=pk
    )


def threshold_get(user, pk):
    """The threshold (every user may read them), or 404."""
    return get_object_or_404(Threshold.objects.for_user(user).select_related("product"), pk=pk)


def institution_list(user):
    return Institution.objects.for_user(user).annotate(
        customer_count=Count("customers", filter=Q(customers__in=Customer.objects.for_user(user)))
    )


def institution_get(user, pk):
    return get_object_or_404(Institution.objects.for_user(user), pk=pk)


def department_list(user, institution):
    return (
        Department.objects.for_user(user)
        .filter(institution=institution)
        .annotate(
            customer_count=Count(
                "customers", filter=Q(customers__in=Customer.objects.for_user(user))
            )
        )
    )


def department_get(user, pk):
    return get_object_or_404(Department.objects.for_user(user).select_related("institution"), pk=pk)


def territory_customer_counts(user):
    """Per visible territory: customers aligned today and how many of them are KOLs."""
    today = timezone.localdate()
    aligned = in_force_on(today, "alignments__")
    return (
        Territory.objects.for_user(user)
        .select_related("team", "district", "rep")
        .annotate(
            customer_count=Count("alignments", filter=aligned),
            kol_count=Count("alignments", filter=aligned & Q(alignments__customer__is_kol=True)),
        )
        .order_by("code")
    )


# Segmentation reads.


def class_on(*, customer, product, day):
    """The class history row of a customer and product in force on `day`, or None."""
    return (
        ClassHistory.objects.filter(customer=customer, product=product)
        .filter(in_force_on(day))
        .first()
    )


def territory_klass(territories, day, customer_ref="pk"):
    """Expression: a customer's class on `day` in `territories` (a queryset) — the highest class
    (A > B > C > D) of the products their teams promote, over those of the territories the
    customer is aligned to on that day; N for a non-prescriber; None when unclassified.
    `customer_ref` names the customer in the outer query."""
    kind = "kind" if customer_ref == "pk" else customer_ref.replace("_id", "") + "__kind"
    return Case(
        When(**{kind: CustomerKind.NON_PRESCRIBER}, then=Value(Klass.N.value)),
        default=promoted_class(territories, day, customer_ref),
        output_field=CharField(),
    )


def territory_klass_is(territories, day, klass):
    """Condition on customers: `territory_klass(territories, day)` is `klass` (a Klass value, or
    None: an unclassified prescriber). A filter, not an annotation: the rows of the class are
    read as a set (see has_promoted_class), so that filtering a company by class does not work
    out each customer's class in turn."""
    if klass == Klass.N:
        return Q(kind=CustomerKind.NON_PRESCRIBER)
    prescriber = ~Q(kind=CustomerKind.NON_PRESCRIBER)
    return prescriber & has_promoted_class(territories, day, klass)


def having_klass(customers, user, klass, territory=None, day=None):
    """The customers whose class (as `with_klass` or, given `territory`, `with_territory_klass`
    annotates it) is `klass` (None: unclassified) on `day` (default today)."""
    day = day or timezone.localdate()
    if territory is None:
        territories = Territory.objects.for_user(user)
    else:
        territories = Territory.objects.filter(pk=territory.pk)
    return customers.filter(territory_klass_is(territories, day, klass))


def with_klass(customers, user, day=None):
    """Annotate `klass`: the class in the user's visible territories today (see territory_klass)."""
    day = day or timezone.localdate()
    return customers.annotate(klass=territory_klass(Territory.objects.for_user(user), day))


def klass_counts(user, day=None, territories=None):
    """{territory_id: {klass: customers aligned on `day`}} over the user's visible territories
    (or those of them whose ids are in `territories`); classless prescribers count under None."""
    day = day or timezone.localdate()
    alignments = Alignment.objects.filter(
        in_force_on(day), territory__in=Territory.objects.for_user(user)
    )
    if territories is not None:
        alignments = alignments.filter(territory__in=territories)
    rows = (
        alignments.annotate(
            # The territories queryset sits three subqueries deep in territory_klass (class
            # history → promoting alignment → territory__in): a single OuterRef would name the
            # promoting alignment's own territory and count every territory of the customer.
            klass=territory_klass(
                Territory.objects.filter(pk=OuterRef(OuterRef(OuterRef("territory")))),
                day,
                "customer_id",
            )
        )
        .values("territory", "klass")
        .annotate(n=Count("id"))
    )
    counts = {}
    for row in rows:
        counts.setdefault(row["territory"], {})[row["klass"]] = row["n"]
    return counts


def customer_classes(user, customer, day):
    """What the customer page and `customers/{id}/classes/` show for `day`: per product the class
    (with source, strategy, measures behind it and override in force), per visible territory the
    class there. A non-prescriber is N everywhere."""
    aligned = (
        Alignment.objects.filter(in_force_on(day), customer=customer)
        .filter(territory__in=Territory.objects.for_user(user))
        .select_related("territory__team")
        .prefetch_related("territory__team__products")
    )
    territories = [a.territory for a in aligned]
    if customer.is_prescriber:
        rows = {
            row.product_id: row
            for row in ClassHistory.objects.filter(in_force_on(day), customer=customer)
        }
        measures = {}
        # No 统方: a rep sees the class and strategy, the figures only where the admin allows.
        shown = Measure.objects.filter(customer=customer, valid_from__lte=day).for_user(user)
        for measure in shown.order_by("product", "-valid_from"):
            measures.setdefault(measure.product_id, measure)
        overrides = {
            o.product_id: o
            for o in ClassOverride.objects.filter(customer=customer, valid_from__lte=day)
            .filter(Q(cleared_on__isnull=True) | Q(cleared_on__gt=day))
            .select_related("author")
        }
        thresholds = {}
        for threshold in Threshold.objects.filter(valid_from__lte=day).order_by(
            "product", "-valid_from", "-created_at"
        ):
            thresholds.setdefault(threshold.product_id, threshold)
    else:
        rows, measures, overrides, thresholds = {}, {}, {}, {}
    product_ids = set(rows) | set(measures) | set(overrides)
    for territory in territories:
        product_ids |= {p.pk for p in territory.team.products.all()}
    products = []
    for product in Product.objects.filter(pk__in=product_ids):
        row = rows.get(product.pk)
        klass = Klass.N if not customer.is_prescriber else (row.klass if row else None)
        products.append(
            {
                "product": product,
                "klass": klass,
                "source": row.source if row else ("computed" if klass else None),
                "since": row.valid_from if row else None,
                "strategy": STRATEGIES.get(klass) if klass else None,
                "measure": measures.get(product.pk),
                "threshold": thresholds.get(product.pk),
                "override": overrides.get(product.pk),
            }
        )
    by_product = {p["product"].pk: p["klass"] for p in products}
    per_territory = []
    for territory in territories:
        classes = [by_product.get(p.pk) for p in territory.team.products.all()]
        classes = [k for k in classes if k]
        per_territory.append({"territory": territory, "klass": min(classes) if classes else None})
    return {"on": day, "products": products, "territories": per_territory}


def class_timeline(user, customer):
    """Every class change of a customer, newest first, with its cause and author."""
    return (
        ClassHistory.objects.for_user(user)
        .filter(customer=customer)
        .select_related("product", "author")
        .order_by("-valid_from", "product__code")
    )


PREVIEW_MOVES = "_preview_moves"
# Every measured prescriber of the product on the day: the class now and with the proposed
# thresholds (an override keeps its class). The latest measure by NOT EXISTS, not a sort.
PREVIEW_SQL = f"""
    CREATE TEMP TABLE {PREVIEW_MOVES} AS
    SELECT m.customer_id, m.potential, m.support, h.klass AS old,
           CASE WHEN h.source = 'override' THEN h.klass
                WHEN m.potential >= %(pmin)s AND m.support >= %(smin)s THEN 'A'
                WHEN m.potential >= %(pmin)s THEN 'B'
                WHEN m.support >= %(smin)s THEN 'C'
                ELSE 'D' END AS new
    FROM customers_measure m
    JOIN customers_customer cu ON cu.id = m.customer_id AND cu.kind = 'prescriber'
    LEFT JOIN customers_classhistory h ON h.customer_id = m.customer_id
         AND h.product_id = %(product)s AND h.valid_from <= %(on)s
         AND (h.valid_to IS NULL OR h.valid_to >= %(on)s)
    WHERE m.product_id = %(product)s AND m.valid_from <= %(on)s
      AND NOT EXISTS (
          SELECT 1 FROM customers_measure later
          WHERE later.customer_id = m.customer_id AND later.product_id = m.product_id
            AND later.valid_from > m.valid_from AND later.valid_from <= %(on)s)
"""  # noqa: S608 (constant fragments; values are bound parameters)


def threshold_preview(*, product, potential_min, support_min, on, movers=100):
    """What-if: how the classes of `product` on day `on` would move with these thresholds, before
    applying them. Set-based, in one pass: the moves go to a temporary table that one grouped
    query and one query for the first `movers` who move then read.

    Returns {"matrix": {(old, new): count}, "moved": n, "total": n, "movers": [dict, ...]};
    `old` is None for a measured customer without a class yet. Overrides do not move."""
    from django.db import connection, transaction

    params = {
        "product": Product._meta.pk.get_db_prep_value(product.pk, connection),
        "on": on,
        "pmin": potential_min,
        "smin": support_min,
        "limit": movers,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PREVIEW_MOVES}")
        cursor.execute(PREVIEW_SQL, params)
        cursor.execute(f"SELECT old, new, COUNT(*) FROM {PREVIEW_MOVES} GROUP BY old, new")  # noqa: S608
        matrix = {(old, new): count for old, new, count in cursor.fetchall()}
        cursor.execute(
            f"""SELECT customer_id, potential, support, old, new FROM {PREVIEW_MOVES}
            WHERE old IS NULL OR old <> new
            ORDER BY new, old, customer_id LIMIT %(limit)s""",  # noqa: S608
            params,
        )
        rows = cursor.fetchall()
        cursor.execute(f"DROP TABLE {PREVIEW_MOVES}")
    field = Customer._meta.pk
    names = Customer.objects.select_related("institution").in_bulk(
        [field.to_python(row[0]) for row in rows]
    )
    return {
        "matrix": matrix,
        "total": sum(matrix.values()),
        "moved": sum(n for (old, new), n in matrix.items() if old != new),
        "movers": [
            {
                "customer": names.get(field.to_python(customer_id)),
                "potential": potential,
                "support": support,
                "old": old,
                "new": new,
            }
            for customer_id, potential, support, old, new in rows
        ],
    }


# Segmentation reads of the customer pages (list counts, territory filter, overrides).


def with_territory_klass(customers, territory, day=None):
    """Annotate `klass`: the class of each customer in one `territory` on `day` (default today),
    as klass_counts counts it, so a count and the list it links to agree."""
    day = day or timezone.localdate()
    return customers.annotate(klass=territory_klass(Territory.objects.filter(pk=territory.pk), day))


KLASS_TABLE_MAX = 60  # territories in the counts table; beyond, one territory at a time


def klass_count_table(user, day=None, territory=None):
    """The counts table of the customer list: one row per visible territory with customers
    aligned on `day`, each {"territory", "counts": [(klass or None, n), ...] in A, B, C, D, N,
    unclassified order, "total"}. Two queries. A user who sees more than KLASS_TABLE_MAX
    territories (a regional manager or admin of a large company) gets the row of `territory`
    (the one the list is filtered on) only, or no table: counting every territory of the
    company would cost as much as the company is large, and a table of thousands of rows is
    read by nobody."""
    shown = list(
        Territory.objects.for_user(user)
        .select_related("team")
        .order_by("code")[: KLASS_TABLE_MAX + 1]
    )
    if len(shown) > KLASS_TABLE_MAX:
        if territory is None:
            return []
        shown = [territory]
    counts = klass_counts(user, day, territories=[t.pk for t in shown])
    order = [*Klass.values, None]
    return [
        {
            "territory": territory,
            "counts": [(klass, counts[territory.pk].get(klass, 0)) for klass in order],
            "total": sum(counts[territory.pk].values()),
        }
        for territory in shown
        if territory.pk in counts
    ]


def override_get(user, customer, pk):
    """An override of `customer` the user may see, or 404."""
    return get_object_or_404(
        ClassOverride.objects.for_user(user).filter(customer=customer).select_related("product"),
        pk=pk,
    )


# The admin Segmentation pages.


def threshold_on(*, product, day):
    """The threshold of `product` in force on `day`, or None."""
    return (
        Threshold.objects.filter(product=product, valid_from__lte=day)
        .order_by("-valid_from", "-created_at")
        .first()
    )


def segmentation_class_counts(*, day, product=None):
    """{product_id: {"A": n, …, "D": n, "override": n}}: the prescribers holding each class of
    each product (or of `product` only) on `day`, and how many of them by an override."""
    rows = ClassHistory.objects.filter(in_force_on(day))
    if product is not None:
        rows = rows.filter(product=product)
    counts = {}
    for row in rows.values("product", "klass", "source").annotate(n=Count("id")):
        by_product = counts.setdefault(row["product"], {})
        by_product[row["klass"]] = by_product.get(row["klass"], 0) + row["n"]
        if row["source"] == "override":
            by_product["override"] = by_product.get("override", 0) + row["n"]
    return counts


def segmentation_products(day=None):
    """The products (active first) with the thresholds in force on `day` (default today:
    `potential_min`, `support_min`, `threshold_from`, None without one) and `counts` per class
    (see segmentation_class_counts). Two queries whatever the number of products."""
    day = day or timezone.localdate()
    in_force = Threshold.objects.filter(product=OuterRef("pk"), valid_from__lte=day).order_by(
        "-valid_from", "-created_at"
    )
    products = list(
        Product.objects.annotate(
            potential_min=Subquery(in_force.values("potential_min")[:1]),
            support_min=Subquery(in_force.values("support_min")[:1]),
            threshold_from=Subquery(in_force.values("valid_from")[:1]),
        ).order_by("-is_active", "code")
    )
    counts = segmentation_class_counts(day=day)
    for product in products:
        product.counts = counts.get(product.pk, {})
    return products


def _scatter_sql():
    return """
    WITH measures AS (
        SELECT m.customer_id, m.potential, m.support, cu.name,
               ROW_NUMBER() OVER (
                   PARTITION BY m.customer_id ORDER BY m.valid_from DESC) AS n
        FROM customers_measure m
        JOIN customers_customer cu ON cu.id = m.customer_id AND cu.kind = 'prescriber'
        WHERE m.product_id = %(product)s AND m.valid_from <= %(on)s
    ),
    points AS (
        SELECT m.customer_id, m.name, m.potential, m.support, h.klass, h.source,
               ROW_NUMBER() OVER (ORDER BY m.customer_id) AS i,
               COUNT(*) OVER () AS total,
               MAX(m.potential) OVER () AS max_potential,
               MAX(m.support) OVER () AS max_support
        FROM measures m
        LEFT JOIN customers_classhistory h ON h.customer_id = m.customer_id
             AND h.product_id = %(product)s AND h.valid_from <= %(on)s
             AND (h.valid_to IS NULL OR h.valid_to >= %(on)s)
        WHERE m.n = 1
    )
    SELECT customer_id, name, potential, support, klass, source, total, max_potential,
           max_support
    FROM points
    WHERE total <= %(limit)s OR (i * %(limit)s) / total > ((i - 1) * %(limit)s) / total
    ORDER BY i
    """


def scatter_points(*, product, on, limit=3000):
    """The prescribers of `product` with measures in force on `on` — potential, support and their
    class on that day (`klass`, `source`; None when unclassified) — for the scatter plot.

    One query. With more than `limit` of them it returns an evenly spaced sample of `limit` in
    customer-id order (deterministic). Returns {"points": [dict, ...], "total": n,
    "max_potential": x, "max_support": y} (maxima over all of them, None when there are none)."""
    from decimal import Decimal

    from django.db import connection

    params = {
        "product": Product._meta.pk.get_db_prep_value(product.pk, connection),
        "on": on,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_scatter_sql(), params)
        rows = cursor.fetchall()
    field = Customer._meta.pk
    result = {"points": [], "total": 0, "max_potential": None, "max_support": None}
    for customer_id, name, potential, support, klass, source, total, pmax, smax in rows:
        result["points"].append(
            {
                "customer": field.to_python(customer_id),
                "name": name,
                "potential": Decimal(str(potential)),
                "support": Decimal(str(support)),
                "klass": klass,
                "source": source,
            }
        )
        result.update(total=total, max_potential=Decimal(str(pmax)), max_support=Decimal(str(smax)))
    return result


def threshold_versions(product):
    """Every threshold of a product, newest `valid_from` first (of one day, the latest first),
    with its author."""
    return (
        Threshold.objects.filter(product=product)
        .select_related("author")
        .order_by("-valid_from", "-created_at")
    )


def threshold_moved_count(threshold):
    """How many prescribers changed class on the day `threshold` took effect because of it
    (class history rows it started), once its reclassification has run."""
    return ClassHistory.objects.filter(
        product_id=threshold.product_id, valid_from=threshold.valid_from, cause="threshold"
    ).count()


# Type-ahead search and likely duplicates.

SEARCH_LIMIT = 20


def customer_search(user, q, limit=SEARCH_LIMIT):
    """At most `limit` customers of the user matching `q` (CustomerQuerySet.search), with their
    institution, department and class (`klass`) in one query; none for an empty `q`."""
    if not (q or "").replace("\x00", "").strip():
        return []
    return list(with_klass(customer_list(user).search(q), user).order_by("name", "pk")[:limit])


def likely_duplicates(user, *, name, institution, department=None, exclude=None, limit=10):
    """The user's customers at `institution` with the same name or the same full pinyin as
    `name` (case-insensitive), those of `department` first: the one rule of "this customer may
    exist already" for the create page and any other write path."""
    name = (name or "").strip()
    if not name or institution is None:
        return []
    same = Q(name__iexact=name)
    full, _initials = search_keys(name)
    if full:
        same |= Q(name_pinyin=full)
    customers = with_klass(customer_list(user).filter(same, institution=institution), user)
    if exclude is not None:
        customers = customers.exclude(pk=exclude.pk)
    department_id = department.pk if department is not None else None
    return list(
        customers.annotate(
            same_department=Case(
                When(department_id=department_id, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        ).order_by("same_department", "name", "pk")[:limit]
    )


def customer_desk(user, day=None):
    """The managers' customer table: customers in scope with institution and department, the
    first territory in scope they are aligned to today (`desk_territory`, `desk_territory_en`),
    their last completed call (`last_call`) and completed calls this quarter (`quarter_calls`).
    Correlated subqueries, evaluated for the shown rows only: no GROUP BY over the company.
    (Calls sit above customers: they are reached through the reverse relation, not imported.)"""
    day = day or timezone.localdate()
    quarter_start = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    aligned = (
        Alignment.objects.filter(in_force_on(day), customer=OuterRef("pk"))
        .filter(territory__in=Territory.objects.for_user(user))
        .order_by("territory__code")
    )
    attendance = Customer._meta.get_field("call_attendances").related_model
    completed = attendance.objects.filter(customer=OuterRef("pk"), call__status="completed")
    return customer_list(user).annotate(
        desk_territory=Subquery(aligned.values("territory__name")[:1]),
        desk_territory_en=Subquery(aligned.values("territory__name_en")[:1]),
        last_call=Subquery(
            completed.filter(call__date__lte=day).order_by("-call__date").values("call__date")[:1]
        ),
        quarter_calls=Coalesce(
            Subquery(
                completed.filter(call__date__gte=quarter_start, call__date__lte=day)
                .order_by()
                .values("customer")
                .annotate(n=Count("pk"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        ),
    )


# Privacy (PIPL / GDPR): everything held about one person (customers.privacy).


def _history_rows(model, **filters):
    return list(
        model.history.filter(**filters)
        .order_by("history_date", "history_id")
        .values(*_history_fields(model))
    )


def _history_fields(model):
    fields = [f.attname for f in model._meta.concrete_fields]
    return [*fields, "history_date", "history_type", "history_user_id", "history_change_reason"]


def personal_data(customer) -> dict:
    """Everything held about `customer`, part by part (JSON-ready): the profile, classes,
    measures, overrides, alignments and the history of each, then the parts of the higher apps
    (customers.privacy: calls attended, plans naming the person). A fixed number of queries
    whatever the number of rows. The caller checks the user may export (admins)."""
    profile = Customer._base_manager.filter(pk=customer.pk).values(
        *[f.attname for f in Customer._meta.concrete_fields],
        "institution__name",
        "institution__name_en",
        "department__name",
        "department__name_en",
    )
    parts = {
        "profile": list(profile),
        "classes": list(
            ClassHistory.objects.filter(customer=customer)
            .order_by("product__code", "valid_from")
            .values(
                "product_id",
                "product__code",
                "klass",
                "source",
                "valid_from",
                "valid_to",
                "cause",
                "note",
                "recorded_at",
            )
        ),
        "measures": list(
            Measure.objects.filter(customer=customer)
            .order_by("product__code", "valid_from")
            .values(*[f.attname for f in Measure._meta.concrete_fields], "product__code")
        ),
        "overrides": list(
            ClassOverride.objects.filter(customer=customer)
            .order_by("product__code", "valid_from")
            .values(*[f.attname for f in ClassOverride._meta.concrete_fields], "product__code")
        ),
        "alignments": list(
            Alignment.objects.filter(customer=customer)
            .order_by("valid_from", "territory__code")
            .values(
                *[f.attname for f in Alignment._meta.concrete_fields],
                "territory__code",
                "territory__name",
            )
        ),
        "history": {
            "customer": _history_rows(Customer, id=customer.pk),
            "alignments": _history_rows(Alignment, customer_id=customer.pk),
            "measures": _history_rows(Measure, customer_id=customer.pk),
            "overrides": _history_rows(ClassOverride, customer_id=customer.pk),
        },
    }
    for name, part in privacy.export_parts().items():
        parts[name] = part(customer)
    return {
        "customer": str(customer.pk),
        "exported_at": timezone.now(),
        **parts,
    }


# The data steward's queue (master data): pending customers with their likely originals, open
# change requests of identity fields as before → after.

STEWARD_PAGE = 50
CANDIDATES_PER_CUSTOMER = 20


def steward_queue(limit=STEWARD_PAGE):
    """The oldest `limit` pending customers (`candidates`: the verified customers of the same
    institution with the same name or pinyin, or of the same department — likely duplicates
    first) and open change requests (`lines`: field, before, after), and how many of each
    wait. A fixed number of queries, whatever the number of rows."""
    pending = list(
        Customer.objects.filter(status=CustomerStatus.PENDING)
        .select_related("institution", "department", "created_by")
        .order_by("created_at", "pk")[:limit]
    )
    _attach_candidates(pending)
    requests = list(
        ChangeRequest.objects.open()
        .select_related("customer__institution", "customer__department", "requested_by")
        .order_by("requested_at", "pk")[:limit]
    )
    _attach_lines(requests)
    return {
        "pending": pending,
        "pending_count": Customer.objects.filter(status=CustomerStatus.PENDING).count(),
        "requests": requests,
        "requests_count": ChangeRequest.objects.open().count(),
    }


def _attach_candidates(pending):
    for customer in pending:
        customer.candidates = []
    if not pending:
        return
    alike = Q()
    for customer in pending:
        same = Q(name__iexact=customer.name)
        if customer.name_pinyin:
            same |= Q(name_pinyin=customer.name_pinyin)
        if customer.department_id:
            same |= Q(department_id=customer.department_id)
        alike |= Q(institution_id=customer.institution_id) & same
    found = list(
        Customer.objects.filter(alike, status=CustomerStatus.VERIFIED)
        .select_related("department")
        .order_by("name", "pk")
    )
    for customer in pending:

        def likeness(other, customer=customer):
            return (
                other.name.lower() != customer.name.lower()
                and other.name_pinyin != customer.name_pinyin,
                other.department_id != customer.department_id,
            )

        mine = [
            other
            for other in found
            if other.institution_id == customer.institution_id
            and (
                other.name.lower() == customer.name.lower()
                or (customer.name_pinyin and other.name_pinyin == customer.name_pinyin)
                or (customer.department_id and other.department_id == customer.department_id)
            )
        ]
        customer.candidates = sorted(mine, key=likeness)[:CANDIDATES_PER_CUSTOMER]


def _attach_lines(requests):
    """`request.lines`: [{"name", "field": label, "before": text, "after": text}], references
    named."""
    ids = {"institution": set(), "department": set()}
    for request in requests:
        for values in (request.before, request.changes):
            for name in ids:
                if values.get(name):
                    ids[name].add(values[name])
    names = {
        "institution": {
            str(row.pk): row.display_name
            for row in Institution.objects.filter(pk__in=ids["institution"])
        },
        "department": {
            str(row.pk): row.display_name
            for row in Department.objects.filter(pk__in=ids["department"])
        },
    }
    for request in requests:
        request.lines = [
            {
                "name": name,
                "field": Customer._meta.get_field(name).verbose_name,
                "before": _shown(name, request.before.get(name), names),
                "after": _shown(name, value, names),
            }
            for name, value in request.changes.items()
        ]


def _shown(name, value, names):
    if value in (None, ""):
        return "—"
    if name in names:
        return names[name].get(str(value), value)
    field = Customer._meta.get_field(name)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def change_request_lines(requests):
    """Attach `lines` (before → after per field, references named) to `requests`; one query
    per kind of reference, whatever their number. Returns them."""
    requests = list(requests)
    _attach_lines(requests)
    return requests


def change_request_get(pk):
    return get_object_or_404(ChangeRequest.objects.select_related("customer"), pk=pk)


def open_change_request(customer):
    """The customer's change request waiting for the steward (with `lines`), or None."""
    request = (
        ChangeRequest.objects.open()
        .filter(customer=customer)
        .select_related("requested_by")
        .first()
    )
    if request is not None:
        _attach_lines([request])
    return request
