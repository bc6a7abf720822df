"""The plans' section of the customer profile: the quarterly plans naming the customer
(customers/customer_detail.html loads it; customers must not import plans)."""

from django import template

from planning import selectors

register = template.Library()


@register.inclusion_tag("planning/includes/profile_plans.html", takes_context=True)
def profile_plans(context, customer):
    user = context["request"].user
    return {"customer": customer, "targets": selectors.customer_plans(user, customer)}
