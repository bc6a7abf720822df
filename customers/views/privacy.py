"""A person's data on request (PIPL / GDPR), for admins: the export (a JSON file) and the
erasure (a confirmation page: the reason and the name typed again)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exports import json_download

from .. import selectors, services
from ..forms import ErasureForm


def _customer(request, pk):
    """The customer (404 out of scope), for admins only (403 for the others)."""
    customer = selectors.customer_get(request.user, pk)
    if not services.can_erase_customers(request.user):
        raise PermissionDenied
    return customer


@login_required
def customer_export(request, pk):
    customer = _customer(request, pk)
    return json_download(
        selectors.personal_data(customer),
        f"customer-{customer.pk}-{timezone.localdate().isoformat()}.json",
    )


@login_required
def customer_erase(request, pk):
    customer = _customer(request, pk)
    form = ErasureForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_erase(
                by=request.user, customer=customer, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("The customer's personal data was erased; the calls and counts remain."),
            )
            return redirect("customers:list")
    return render(request, "customers/customer_erase.html", {"customer": customer, "form": form})
