"""The calls' sections of the customer profile (customers/customer_detail.html loads them: the
customers app sits below calls and must not import it).

`{% profile_next_call customer %}`: the next planned call, or a button to plan one, and the
button to log a call. `{% profile_last_calls customer %}`: the last completed calls inline."""

from django import template

from calls import selectors, services

register = template.Library()

LAST_CALLS = 5


@register.inclusion_tag("calls/includes/profile_next_call.html", takes_context=True)
def profile_next_call(context, customer):
    user = context["request"].user
    return {
        "customer": customer,
        "next_call": selectors.customer_next_call(user, customer),
        "can_log": services.can_log_calls(user),
    }


@register.inclusion_tag("calls/includes/profile_last_calls.html", takes_context=True)
def profile_last_calls(context, customer):
    user = context["request"].user
    calls = selectors.customer_last_calls(user, customer, limit=LAST_CALLS)
    return {"customer": customer, "calls": calls}
