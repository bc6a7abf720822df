"""The data steward's queue (admins): pending customers — verify, merge into an existing one,
reject — and rep's change requests of identity fields — accept or reject. Every action is a
service (customers.services.stewardship); one decided meanwhile by another steward is a clear
message, never a 500."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.concurrency import Conflict
from core.text import clean_search

from .. import selectors, services
from ..forms import StewardMergeForm, StewardReasonForm
from ..models import SEARCH_MAX_LENGTH, Customer


def _steward_only(request):
    if not services.can_steward(request.user):
        raise PermissionDenied


@login_required
def steward_queue(request):
    _steward_only(request)
    return render(request, "customers/steward_queue.html", selectors.steward_queue())


@login_required
def steward_choices(request):
    """The merge picker's type-ahead (core.widgets.TypeaheadSelect's JSON shape, `{"results":
    [{"id", "label"}]}`): any customer matching ?q= (the customers search), each labelled with
    its institution and department so that two of one name are told apart."""
    _steward_only(request)
    q = clean_search(request.GET.get("q", ""))[:SEARCH_MAX_LENGTH].strip()
    found = selectors.customer_search(request.user, q)
    labels = [_choice_label(customer) for customer in found]
    repeated = {label for label in labels if labels.count(label) > 1}
    return JsonResponse(
        {
            "results": [
                {
                    "id": str(customer.pk),
                    "label": f"{label} · {str(customer.pk)[:8]}" if label in repeated else label,
                }
                for customer, label in zip(found, labels, strict=True)
            ]
        }
    )


def _choice_label(customer):
    parts = [customer.name, customer.institution.display_name]
    if customer.department_id:
        parts.append(customer.department.display_name)
    if customer.title:
        parts.append(customer.title)
    return " · ".join(parts)


def _act(request, action, done):
    """Run `action()`; a refusal becomes an error message, success `done(result)`. Back to the
    queue either way."""
    try:
        result = action()
    except Conflict as error:
        messages.error(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done(result))
    return redirect("customers:steward")


def _pending(pk):
    """The customer (None when it is gone: the service says so, as for a race)."""
    return Customer.objects.filter(pk=pk).first() or Customer(pk=pk)


def _reason(request):
    form = StewardReasonForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Give a reason (at most 300 characters)."))
    return form.cleaned_data["reason"]


@login_required
@require_POST
def steward_verify(request, pk):
    _steward_only(request)
    customer = _pending(pk)
    return _act(
        request,
        lambda: services.customer_verify(by=request.user, customer=customer),
        lambda _result: _("%(name)s is verified.") % {"name": customer.name},
    )


@login_required
@require_POST
def steward_merge(request, pk):
    _steward_only(request)
    customer = _pending(pk)
    form = StewardMergeForm(request.POST)

    def merge():
        if not form.is_valid():
            raise ValidationError(_("Choose the customer to merge into."))
        into = Customer.objects.for_user(request.user).filter(pk=form.cleaned_data["into"])
        into = into.first()  # any customer (an erased one is nobody's)
        if into is None:
            raise ValidationError(_("Choose the customer to merge into."))
        return services.customer_merge(by=request.user, customer=customer, into=into)

    return _act(
        request,
        merge,
        lambda into: _("%(name)s is merged into %(into)s.") % {"name": customer.name, "into": into},
    )


@login_required
@require_POST
def steward_reject(request, pk):
    _steward_only(request)
    customer = _pending(pk)
    return _act(
        request,
        lambda: services.customer_reject(
            by=request.user, customer=customer, reason=_reason(request)
        ),
        lambda _result: _("%(name)s is rejected.") % {"name": customer.name},
    )


@login_required
@require_POST
def change_request_accept(request, pk):
    _steward_only(request)
    change = selectors.change_request_get(pk)
    return _act(
        request,
        lambda: services.change_request_accept(by=request.user, request=change),
        lambda _result: _("The change of %(name)s is applied.") % {"name": change.customer.name},
    )


@login_required
@require_POST
def change_request_reject(request, pk):
    _steward_only(request)
    change = selectors.change_request_get(pk)
    return _act(
        request,
        lambda: services.change_request_reject(
            by=request.user, request=change, reason=_reason(request)
        ),
        lambda _result: _("The change of %(name)s is rejected.") % {"name": change.customer.name},
    )
