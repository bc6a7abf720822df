"""The admin's settings of calls, in the product: the catalogue (key messages per product,
materials and samples per product with the teams that hand them over) and the call settings
(grace, backdating, sample limit), each with its history. Admins only: anyone else gets 403.
Thin: writes in calls.services.catalogue, the history from core.history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.concurrency import Stale
from core.history import changes
from core.ids import uuid_or_404
from org.models import Product

from . import services
from .forms import CallSettingsForm, KeyMessageForm, MaterialForm
from .models import CallSettings, KeyMessage, Material


def _admin_only(request):
    if not request.user.is_admin:
        raise PermissionDenied


def _errors_onto(form, error):
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _catalogue_url(product_id):
    url = redirect("calls:catalogue").url
    return f"{url}#product-{product_id}" if product_id else f"{url}#general"


@login_required
def catalogue(request):
    """Every product with its key messages and its materials and samples, then the materials
    of no product; the latest changes below."""
    _admin_only(request)
    products = Product.objects.order_by("-is_active", "code").prefetch_related(
        Prefetch("key_messages", queryset=KeyMessage.objects.order_by("order", "text")),
        Prefetch(
            "materials",
            queryset=Material.objects.prefetch_related("teams").order_by("kind", "code"),
        ),
    )
    general = Material.objects.filter(product__isnull=True).prefetch_related("teams")
    history = changes(KeyMessage.history.all(), limit=10) + changes(
        Material.history.all(), m2m=["teams"], empty={"teams": _("every team")}, limit=10
    )
    history.sort(key=lambda c: c.when, reverse=True)
    return render(
        request,
        "calls/settings/catalogue.html",
        {
            "products": products,
            "general": general.order_by("kind", "code"),
            "changes": history[:15],
        },
    )


@login_required
def key_message_edit(request, pk=None):
    """Create (`?product=`) or change a key message; deactivate by unticking "active"."""
    _admin_only(request)
    item = get_object_or_404(KeyMessage, pk=pk) if pk else None
    if item is None:
        product = get_object_or_404(Product, pk=uuid_or_404(request.GET.get("product")))
    else:
        product = item.product
    initial = (
        {
            "text": item.text,
            "text_en": item.text_en,
            "order": item.order,
            "is_active": item.is_active,
            "version": item.version,
        }
        if item
        else None
    )
    form = KeyMessageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.key_message_save(
                by=request.user,
                key_message=item,
                expected_version=data["version"] if item else None,
                product=product,
                text=data["text"],
                text_en=data["text_en"],
                order=data["order"],
                is_active=data["is_active"],
            )
        except ValidationError as error:
            _errors_onto(form, error)
        except Stale as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Key message “%(item)s” saved.") % {"item": saved.display_name}
            )
            return redirect(_catalogue_url(product.pk))
    return render(
        request,
        "calls/settings/item_form.html",
        {
            "form": form,
            "item": item,
            "product": product,
            "title": _("Key message") if item else _("New key message"),
            "changes": changes(
                KeyMessage.history.filter(id=item.pk),
                fields=["text", "text_en", "order", "is_active"],
            )
            if item
            else [],
            "delete_url": "calls:key_message_delete",
            "used": item is not None and item.call_products.exists(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def material_edit(request, pk=None):
    """Create (`?product=`, none: of no product) or change a material or sample; its teams;
    deactivate by unticking "active"."""
    _admin_only(request)
    item = get_object_or_404(Material, pk=pk) if pk else None
    if item is not None:
        initial = {
            "name": item.name,
            "name_en": item.name_en,
            "code": item.code,
            "kind": item.kind,
            "product": item.product_id,
            "teams": [t.pk for t in item.teams.all()],
            "is_active": item.is_active,
            "version": item.version,
        }
    else:
        product = request.GET.get("product") or None
        product = get_object_or_404(Product, pk=uuid_or_404(product)).pk if product else None
        initial = {"product": product, "kind": request.GET.get("kind") or "material"}
    form = MaterialForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.material_save(
                by=request.user,
                material=item,
                expected_version=data["version"] if item else None,
                teams=list(data["teams"]),
                **{
                    name: data[name]
                    for name in ("name", "name_en", "code", "kind", "product", "is_active")
                },
            )
        except ValidationError as error:
            _errors_onto(form, error)
        except Stale as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("“%(item)s” saved.") % {"item": saved.display_name})
            return redirect(_catalogue_url(saved.product_id))
    return render(
        request,
        "calls/settings/item_form.html",
        {
            "form": form,
            "item": item,
            "product": item.product if item else None,
            "title": (item.display_name if item else _("New material or sample")),
            "changes": changes(
                Material.history.filter(id=item.pk),
                m2m=["teams"],
                empty={"teams": _("every team")},
            )
            if item
            else [],
            "delete_url": "calls:material_delete",
            "used": item is not None and item.call_materials.exists(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def key_message_delete(request, pk):
    _admin_only(request)
    item = get_object_or_404(KeyMessage, pk=pk)
    services.key_message_delete(by=request.user, key_message=item)
    messages.success(request, _("“%(item)s” deleted.") % {"item": item.display_name})
    return redirect(_catalogue_url(item.product_id))


@login_required
@require_POST
def material_delete(request, pk):
    _admin_only(request)
    item = get_object_or_404(Material, pk=pk)
    services.material_delete(by=request.user, material=item)
    messages.success(request, _("“%(item)s” deleted.") % {"item": item.display_name})
    return redirect(_catalogue_url(item.product_id))


@login_required
def call_settings(request):
    """Grace period, backdating limit and the sample limit; the history shows every write. The
    form names the version it was read at: a change saved meanwhile is refused (409), not lost."""
    _admin_only(request)
    status = 400 if request.method == "POST" else 200
    current = CallSettings.load()
    form = CallSettingsForm(
        request.POST or None,
        initial={
            "grace_days": current.grace_days,
            "backdating_days": current.backdating_days,
            "sample_limit_per_quarter": current.sample_limit_per_quarter,
            "version": current.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.call_settings_save(
                by=request.user, expected_version=data.pop("version"), **data
            )
        except ValidationError as error:
            _errors_onto(form, error)
        except Stale as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Call settings saved."))
            return redirect("calls:settings")
    return render(
        request,
        "settings_form.html",
        {
            "title": _("Call settings"),
            "heading": _("Rules of call logging"),
            "form": form,
            "changes": changes(
                CallSettings.history.all(),
                empty={"sample_limit_per_quarter": _("no limit")},
            ),
        },
        status=status,
    )
