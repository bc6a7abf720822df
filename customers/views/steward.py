"""The data steward's queue (admins): pending customers — verify, merge into an existing one,
reject — and rep's change requests of identity fields — accept or reject. Every action is a
service (customers.services.stewardship); one decided meanwhile by another steward is a clear
message, never a 500."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.concurrency import Conflict

from .. import selectors, services
from ..forms import StewardMergeForm, StewardReasonForm
from ..models import Customer


def _steward_only(request):
    if not services.can_steward(request.user):
        raise PermissionDenied


@login_required
def steward_queue(request):
    _steward_only(request)
    return render(request, "customers/steward_queue.html", selectors.steward_queue())


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
        into = Customer.objects.filter(pk=form.cleaned_data["into"]).first()
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
