import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.concurrency import Conflict, Stale
from core.exports import requested_format, table_export
from core.history import record_changes
from core.tables import configure
from core.text import clean_search
from org.models import can_see_measures

from .. import selectors, services
from ..filters import CustomerFilter
from ..forms import ConsentForm, CustomerForm, OverrideForm
from ..models import Alignment, Customer
from ..services.bulk_import import can_import
from ..tables import CustomerTable


def _page(request, queryset):
    return Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def _customer_desk(request):
    """Managers: the customer table — columns, sort and filters in the URL, CSV/XLSX export of
    what is shown (all pages), above it the counts by class."""
    customer_filter = CustomerFilter(
        request.GET, queryset=selectors.customer_desk(request.user), request=request
    )
    table = CustomerTable(customer_filter.qs, request=request, order_by="name")
    if requested_format(request):
        return table_export(request, table, "customers", form=customer_filter.form)
    configure(request, table)
    return render(
        request,
        "customers/customer_desk.html",
        {
            "filter": customer_filter,
            "table": table,
            "can_edit": services.can_edit_customers(request.user),
            "can_import": can_import(request.user),
            "klass_table": selectors.klass_count_table(
                request.user, territory=customer_filter.form.cleaned_data.get("territory")
            ),
        },
    )


@login_required
def customer_list(request):
    """A rep: the phone list. A manager: the desk table (_customer_desk)."""
    if not request.user.is_rep:
        return _customer_desk(request)
    customer_filter = CustomerFilter(
        request.GET, queryset=selectors.customer_list(request.user), request=request
    )
    page = _page(request, customer_filter.qs)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "customers/customer_list.html",
        {
            "filter": customer_filter,
            "page": page,
            "query": query.urlencode(),
            "can_edit": services.can_edit_customers(request.user),
            "klass_table": selectors.klass_count_table(request.user),
        },
    )


@login_required
def customer_detail(request, pk):
    return _detail(request, selectors.customer_get(request.user, pk))


def _detail(request, customer, consent_form=None):
    """The customer's page; `consent_form`: the consent form sent back with its errors."""
    can_edit = services.can_edit_customers(request.user)
    if consent_form is None and can_edit:
        consent_form = ConsentForm.for_customer(customer)
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "classes": selectors.customer_classes(request.user, customer, timezone.localdate()),
            "measures_shown": can_see_measures(request.user),
            "timeline": selectors.class_timeline(request.user, customer),
            "can_edit": can_edit,
            "can_override": customer.is_prescriber and services.can_override_classes(request.user),
            "consent_form": consent_form,
            "change_request": selectors.open_change_request(customer),
            "can_steward": services.can_steward(request.user),
            "can_erase": services.can_erase_customers(request.user),
        },
        status=400 if consent_form is not None and consent_form.is_bound else 200,
    )


@login_required
def customer_history(request, pk):
    """Who changed the customer, when, through what, from which value to which (404 out of
    scope, as the customer's page)."""
    customer = selectors.customer_get(request.user, pk)
    return render(
        request,
        "history_page.html",
        {
            "record": customer.name,
            "back": reverse("customers:detail", args=[customer.pk]),
            "changes": record_changes(Customer, customer.pk),
        },
    )


@login_required
def alignment_history(request, pk):
    """The history of one alignment of a customer in scope (404 otherwise)."""
    alignment = selectors.alignment_get(request.user, pk)
    return render(
        request,
        "history_page.html",
        {
            "record": f"{alignment.customer.name} · {alignment.territory.display_name}",
            "back": reverse("customers:detail", args=[alignment.customer_id]),
            "changes": record_changes(Alignment, alignment.pk),
        },
    )


@login_required
@require_POST
def customer_consent(request, pk):
    """Record what the customer agreed to; errors show on the customer's page (400)."""
    if not services.can_edit_customers(request.user):
        raise PermissionDenied
    customer = get_object_or_404(Customer.objects.for_user(request.user), pk=pk)
    form = ConsentForm.for_customer(customer, request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.customer_consent_save(
                by=request.user, customer=customer, expected_version=version, **data
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except Stale as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Consent saved."))
            return redirect(f"{redirect('customers:detail', pk=customer.pk).url}#consent-h")
    return _detail(request, selectors.customer_get(request.user, pk), consent_form=form)


def _save_form(request, form, save):
    """Run the service with the form's data; service errors go back onto the form."""
    try:
        return save(form.cleaned_data)
    except ValidationError as error:
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    return None


@login_required
def customer_create(request):
    """A new customer. Likely duplicates (selectors.likely_duplicates) are listed first; the
    customer is created only when there are none or the rep confirms ("create anyway")."""
    if not services.can_edit_customers(request.user):
        raise PermissionDenied
    form = CustomerForm(
        request.POST or None,
        user=request.user,
        initial={
            "name": clean_search(request.GET.get("name"))[:100],
            "institution": _uuid_or_none(request.GET.get("institution")),
            "department": _uuid_or_none(request.GET.get("department")),
        },
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not request.POST.get("confirm"):
            duplicates = selectors.likely_duplicates(
                request.user,
                name=data["name"],
                institution=data["institution"],
                department=data.get("department"),
            )
        if not duplicates:

            def save(data):
                data = dict(data)
                territory = data.pop("territory", None)
                return services.customer_create(by=request.user, territory=territory, **data)

            customer = _save_form(request, form, save)
            if customer is not None:
                if customer.is_pending:
                    messages.success(
                        request,
                        _(
                            "Customer %(name)s created. You can log calls with them now; a data "
                            "steward will verify the record."
                        )
                        % {"name": customer.name},
                    )
                else:
                    messages.success(
                        request, _("Customer %(name)s created.") % {"name": customer.name}
                    )
                return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "customer": None, "duplicates": duplicates},
    )


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@login_required
def customer_edit(request, pk):
    if not services.can_edit_customers(request.user):
        raise PermissionDenied
    customer = get_object_or_404(Customer.objects.for_user(request.user), pk=pk)
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save_form(
                request,
                form,
                lambda data: services.customer_update(by=request.user, customer=customer, **data),
            )
        except Conflict as error:  # merged or rejected by a data steward meanwhile
            messages.error(request, error.message)
            return redirect("customers:list")
        if saved is not None:
            if saved.change_request is not None:
                messages.success(
                    request,
                    _(
                        "Changes saved. The change of name, institution, department or kind "
                        "waits for the data steward."
                    ),
                )
            else:
                messages.success(request, _("Changes saved."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@login_required
def institution_list(request):
    institutions = selectors.institution_list(request.user)
    q = clean_search(request.GET.get("q")).strip()
    if q:
        institutions = institutions.filter(
            Q(name__icontains=q) | Q(name_en__icontains=q) | Q(city__icontains=q)
        )
    return render(
        request,
        "customers/institution_list.html",
        {
            "page": _page(request, institutions.order_by("name")),
            "q": q,
        },
    )


@login_required
def institution_detail(request, pk):
    institution = selectors.institution_get(request.user, pk)
    customers = selectors.with_klass(
        selectors.customer_list(request.user).filter(institution=institution), request.user
    )
    return render(
        request,
        "customers/institution_detail.html",
        {
            "institution": institution,
            "departments": selectors.department_list(request.user, institution),
            "page": _page(request, customers),
            "can_edit": services.can_edit_customers(request.user),
        },
    )


@login_required
def department_detail(request, pk):
    department = selectors.department_get(request.user, pk)
    customers = selectors.with_klass(
        selectors.customer_list(request.user).filter(department=department), request.user
    )
    return render(
        request,
        "customers/department_detail.html",
        {
            "department": department,
            "page": _page(request, customers),
            "can_edit": services.can_edit_customers(request.user),
        },
    )


@login_required
def override_create(request, pk):
    """A DM (own district) or an admin sets a customer's class for a product, with a reason."""
    if not services.can_override_classes(request.user):
        raise PermissionDenied
    customer = selectors.customer_get(request.user, pk)
    classes = selectors.customer_classes(request.user, customer, timezone.localdate())
    form = OverrideForm(
        request.POST or None,
        products=[row["product"] for row in classes["products"]],
        initial={"product": request.GET.get("product")} if request.GET.get("product") else None,
    )
    if request.method == "POST" and form.is_valid():
        override = _save_form(
            request,
            form,
            lambda data: services.override_create(by=request.user, customer=customer, **data),
        )
        if override is not None:
            messages.success(
                request,
                _("%(product)s: class %(klass)s from %(day)s.")
                % {
                    "product": override.product,
                    "klass": override.klass,
                    "day": override.valid_from.isoformat(),
                },
            )
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/override_form.html",
        {"customer": customer, "form": form, "classes": classes},
    )


@login_required
@require_POST
def override_clear(request, pk, override_pk):
    """End an override from today: the computed class applies again."""
    if not services.can_override_classes(request.user):
        raise PermissionDenied
    customer = selectors.customer_get(request.user, pk)
    override = selectors.override_get(request.user, customer, override_pk)
    try:
        services.override_clear(by=request.user, override=override)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(product)s: override cleared; the computed class applies again.")
            % {"product": override.product},
        )
    return redirect("customers:detail", pk=customer.pk)
