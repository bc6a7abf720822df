"""The reports' section of the customer profile: this month's completed calls against the class
requirement (customers/customer_detail.html loads it; customers must not import reports)."""

from django import template

from reports import selectors

register = template.Library()


@register.inclusion_tag("reports/includes/profile_month.html", takes_context=True)
def profile_month(context, customer):
    figures = selectors.customer_month(context["request"].user, customer)
    return {
        "customer": customer,
        "month": figures["month"],
        "rows": figures["rows"],
        "several": len(figures["rows"]) > 1,
    }
