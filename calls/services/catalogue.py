"""The admin's catalogues and call rules: key messages per product, materials and samples (with
the teams that hand them over) and the call settings. One transaction each, every change in the
history under the admin's name (`_history_user`). Key messages and materials carry a version:
with `expected_version` (the version the admin's form was read at) a record changed since is
`Stale`, compared under the row lock. The call settings have none: the last writer wins and the
history shows both writes.

Ranges (the forms show the same): `GRACE_DAYS`, `BACKDATING_DAYS`, `SAMPLE_LIMIT`.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.concurrency import Conflict, check_version
from org.models import User

from ..models import CallSettings, KeyMessage, Material

GRACE_DAYS = (0, 60)
BACKDATING_DAYS = (0, 60)
SAMPLE_LIMIT = (1, 1000)  # None: no limit

KEY_MESSAGE_FIELDS = ("product", "text", "text_en", "order", "is_active")
MATERIAL_FIELDS = ("name", "name_en", "code", "kind", "product", "is_active")
CALL_SETTINGS_FIELDS = ("grace_days", "backdating_days", "sample_limit_per_quarter")

STALE_ITEM = gettext_lazy(
    "Someone else changed this item meanwhile (now version %(v)s); "
    "your change was not saved. Check it and save again."
)
STALE_SETTINGS = gettext_lazy(
    "Someone else changed the call settings meanwhile (now version %(v)s); "
    "your change was not saved. Check them and save again."
)
USED = gettext_lazy("This item is used by calls; deactivate it instead.")


def _admin(by):
    if not getattr(by, "is_admin", False):
        raise PermissionDenied


def _known(fields, allowed):
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})


def _strip(fields, *names):
    for name in names:
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()


def _locked(model, record, expected_version):
    locked = model._base_manager.select_for_update().get(pk=record.pk)
    check_version(locked, expected_version, STALE_ITEM)
    return locked


@transaction.atomic
def key_message_save(
    *, by: User, key_message: KeyMessage | None = None, expected_version=None, **fields
) -> KeyMessage:
    """Create (no `key_message`) or change a key message; a Chinese or an English text."""
    _admin(by)
    _known(fields, KEY_MESSAGE_FIELDS)
    _strip(fields, "text", "text_en")
    if key_message is None:
        key_message = KeyMessage()
    else:
        key_message = _locked(KeyMessage, key_message, expected_version)
    for name, value in fields.items():
        setattr(key_message, name, value)
    errors = {}
    if not key_message.text and not key_message.text_en:
        errors["text"] = [_("Give the key message in Chinese or in English.")]
    try:
        key_message.full_clean(exclude=["text"])  # one of the two languages is enough
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    key_message._history_user = by
    key_message.save()
    return key_message


def _code_taken(material):
    other = Material.objects.filter(code__iexact=material.code).exclude(pk=material.pk).first()
    if other is None:
        return None
    return _("The code %(code)s is already used by “%(item)s”.") % {
        "code": material.code,
        "item": other.display_name,
    }


@transaction.atomic
def material_save(
    *,
    by: User,
    material: Material | None = None,
    expected_version=None,
    teams=None,
    **fields,
) -> Material:
    """Create (no `material`) or change a material or sample; a Chinese or an English name and
    a code no other item has. `teams`: the teams whose reps may hand it over (empty: every
    team; None keeps them)."""
    _admin(by)
    _known(fields, MATERIAL_FIELDS)
    _strip(fields, "name", "name_en", "code")
    material = Material() if material is None else _locked(Material, material, expected_version)
    for name, value in fields.items():
        setattr(material, name, value)
    errors = {}
    if not material.name and not material.name_en:
        errors["name"] = [_("Give a Chinese or an English name.")]
    if material.code and (taken := _code_taken(material)):
        errors["code"] = [taken]
    try:
        # One of the two names is enough; the code's uniqueness is checked above (and by the
        # database against a racing writer).
        material.full_clean(exclude=["name"], validate_unique=False)
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    material._history_user = by
    try:
        with transaction.atomic():
            material.save()
    except IntegrityError as error:  # another admin took the code meanwhile
        raise ValidationError({"code": [_code_taken(material) or str(error)]}) from error
    if teams is not None:
        material.teams.set(teams)
    return material


@transaction.atomic
def key_message_delete(*, by: User, key_message: KeyMessage) -> None:
    """Delete a key message no call names (else `Conflict`: deactivate it)."""
    _admin(by)
    key_message = KeyMessage.objects.select_for_update().get(pk=key_message.pk)
    if key_message.call_products.exists():
        raise Conflict(str(USED))
    key_message._history_user = by
    key_message.delete()


@transaction.atomic
def material_delete(*, by: User, material: Material) -> None:
    """Delete a material no call hands over (else `Conflict`: deactivate it)."""
    _admin(by)
    material = Material.objects.select_for_update().get(pk=material.pk)
    if material.call_materials.exists():
        raise Conflict(str(USED))
    material._history_user = by
    material.delete()


def _in_range(errors, name, value, bounds):
    low, high = bounds
    if value is None or not low <= value <= high:
        errors[name] = [
            _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
        ]


@transaction.atomic
def call_settings_save(*, by: User, expected_version=None, **fields) -> CallSettings:
    """Change the call settings; the history keeps every write. With `expected_version` (the
    version the form was read at) settings changed meanwhile are `Stale`, nothing written."""
    _admin(by)
    _known(fields, CALL_SETTINGS_FIELDS)
    CallSettings.load()
    settings_ = CallSettings.objects.select_for_update().get(pk=1)
    check_version(settings_, expected_version, STALE_SETTINGS)
    for name, value in fields.items():
        setattr(settings_, name, value)
    errors = {}
    _in_range(errors, "grace_days", settings_.grace_days, GRACE_DAYS)
    _in_range(errors, "backdating_days", settings_.backdating_days, BACKDATING_DAYS)
    if settings_.sample_limit_per_quarter is not None:
        _in_range(
            errors, "sample_limit_per_quarter", settings_.sample_limit_per_quarter, SAMPLE_LIMIT
        )
    if errors:
        raise ValidationError(errors)
    settings_.version += 1
    settings_._history_user = by
    settings_.save()
    return settings_
