"""Write paths of the organisation: one transaction each."""

import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.concurrency import check_version
from core.constraints import violated

from .models import (
    ASSIGNMENT_NO_OVERLAP,
    ASSIGNMENT_ONE_OPEN,
    ASSIGNMENT_OVERLAP,
    Absence,
    ApiToken,
    ComplianceSettings,
    District,
    InstitutionRule,
    Language,
    Product,
    Region,
    Team,
    Territory,
    TerritoryAssignment,
    User,
)
from .signals import measures_visibility_changed


def _known(fields, allowed):
    """Refuse the fields a service does not write (a clean 400 naming them)."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    if language not in Language.values:
        raise ValidationError({"language": _("Unknown language.")})
    user.language = language
    user.save(update_fields=["language"])
    return user


# The organisation's reference data: create (a new instance) or change, validated like the
# forms. The admin and the API write them here.

REGION_FIELDS = ("name", "name_en", "code", "manager")
DISTRICT_FIELDS = ("name", "name_en", "code", "region", "dm")
PRODUCT_FIELDS = ("name", "name_en", "code", "is_active")
TEAM_FIELDS = ("name", "name_en", "code", "call_rate_target", "pims_per_week")


def _reference_save(record, fields, allowed):
    _known(fields, allowed)
    for name, value in fields.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def region_save(*, region: Region, **fields) -> Region:
    return _reference_save(region, fields, REGION_FIELDS)


@transaction.atomic
def district_save(*, district: District, **fields) -> District:
    return _reference_save(district, fields, DISTRICT_FIELDS)


@transaction.atomic
def product_save(*, product: Product, **fields) -> Product:
    return _reference_save(product, fields, PRODUCT_FIELDS)


@transaction.atomic
def team_save(*, team: Team, products=None, **fields) -> Team:
    """`products`: the team's products (None keeps them)."""
    team = _reference_save(team, fields, TEAM_FIELDS)
    if products is not None:
        team.products.set(products)
    return team


CALL_RATE_TARGET = (0, 50)  # completed calls per field day, decimals
PIMS_PER_WEEK = (0, 20)
STALE_TEAM = gettext_lazy(
    "Someone else changed this team’s targets meanwhile (now version %(v)s); "
    "your change was not saved. Check them and save again."
)


@transaction.atomic
def team_targets_save(
    *, by: User, team: Team, call_rate_target, pims_per_week, expected_version=None
) -> Team:
    """The admin sets a team's call-rate target (0–50 calls per field day, decimals) and PIMs
    per week (0–20). The row is locked; with `expected_version` (the version the form was
    read at) a team changed since is `Stale`. The history names the admin."""
    if not getattr(by, "is_admin", False):
        raise PermissionDenied
    errors = {}
    low, high = CALL_RATE_TARGET
    if call_rate_target is None or not low <= call_rate_target <= high:
        errors["call_rate_target"] = [
            _("Enter a call rate target from %(low)s to %(high)s.") % {"low": low, "high": high}
        ]
    low, high = PIMS_PER_WEEK
    if pims_per_week is None or not low <= pims_per_week <= high:
        errors["pims_per_week"] = [
            _("Enter a whole number of PIMs per week from %(low)s to %(high)s.")
            % {"low": low, "high": high}
        ]
    if errors:
        raise ValidationError(errors)
    team = Team.objects.select_for_update().get(pk=team.pk)
    check_version(team, expected_version, STALE_TEAM)
    team.call_rate_target = call_rate_target
    team.pims_per_week = pims_per_week
    team.full_clean()
    team._history_user = by
    team.save()
    return team


TERRITORY_FIELDS = ("name", "name_en", "code", "team", "district")


@transaction.atomic
def territory_create(
    *,
    name: str,
    code: str,
    team,
    district,
    name_en: str = "",
    rep: User | None = None,
    on=None,
    id=None,
) -> Territory:
    """A new territory, vacant or handed to `rep` from `on` (default: today) by the handover,
    which keeps who held it when. `id`: the one the caller chose (the admin's form)."""
    territory = Territory(name=name, name_en=name_en, code=code, team=team, district=district)
    if id is not None:
        territory.id = id
    territory.full_clean()
    territory.save()
    if rep is not None:
        territory = territory_assign_rep(
            territory=territory, rep=rep, on=on or timezone.localdate()
        )
    return territory


@transaction.atomic
def territory_update(*, territory: Territory, on=None, **fields) -> Territory:
    """Change a territory's name, code, team or district; a `rep` among the fields is a handover
    from `on` (default: today) through `territory_assign_rep`, the one write path of the rep.
    The row is locked and read again, so a change racing a handover never writes back the rep
    it read before."""
    rep_given = "rep" in fields
    rep = fields.pop("rep", None)
    _known(fields, TERRITORY_FIELDS)
    territory = Territory.objects.select_for_update().get(pk=territory.pk)
    for name, value in fields.items():
        setattr(territory, name, value)
    territory.full_clean()
    territory.save()
    if rep_given:
        territory = territory_assign_rep(
            territory=territory, rep=rep, on=on or timezone.localdate()
        )
    return territory


def territory_handover_check(*, territory: Territory, rep: User | None, on):
    """Refuse a handover that cannot be (ValidationError); the territory's current holding
    otherwise. Call it with the territory's row locked."""
    if rep is not None and not rep.is_rep:
        raise ValidationError({"rep": _("Only a rep can hold a territory.")})
    current = territory.assignments.filter(valid_to__isnull=True).first()
    if current is not None and current.valid_from > on:
        raise ValidationError(
            {"valid_from": _("The territory's current holder starts after this date.")}
        )
    return current


@transaction.atomic
def territory_assign_rep(*, territory: Territory, rep: User | None, on) -> Territory:
    """Hand the territory to `rep` (or leave it vacant) from `on`, keeping who held it when.

    The one write path of `Territory.rep`: it always names the holder of the open holding. The
    territory's row is locked, so handovers of one territory happen one after the other; the
    schema refuses two holdings sharing a day (a writer bypassing this: a clean 400)."""
    territory = Territory.objects.select_for_update().get(pk=territory.pk)
    current = territory_handover_check(territory=territory, rep=rep, on=on)
    if current is not None:
        if current.rep_id == (rep.pk if rep else None):
            if territory.rep_id != current.rep_id:  # repair a rep written around this service
                territory.rep = rep
                territory.save()
            return territory
        if current.valid_from == on:
            current.delete()
        else:
            current.valid_to = on - timedelta(days=1)
            current.save(update_fields=["valid_to"])
    if rep is not None:
        try:
            with transaction.atomic():
                TerritoryAssignment.objects.create(territory=territory, rep=rep, valid_from=on)
        except IntegrityError as error:
            if not violated(error, ASSIGNMENT_NO_OVERLAP, ASSIGNMENT_ONE_OPEN):
                raise
            raise ValidationError({"valid_from": [ASSIGNMENT_OVERLAP]}) from error
    territory.rep = rep
    territory.save()
    return territory


def _absence_rep(*, by: User | None, rep: User | None) -> User | None:
    """A rep records their own absences (whatever `rep` says); an admin, or the system
    (`by` None), names the rep."""
    if by is not None and not by.is_admin:
        return by
    return rep


@transaction.atomic
def absence_create(
    *,
    rep: User | None = None,
    date_from,
    date_to,
    reason: str,
    note: str = "",
    by: User | None = None,
    id=None,
) -> Absence:
    """Record days a rep is out of the field. `by`: the person writing (see `_absence_rep`);
    `id`: the one the caller chose (the admin's form)."""
    rep = _absence_rep(by=by, rep=rep)
    if rep is None:
        raise ValidationError({"rep": _("This field is required.")})
    absence = Absence(rep=rep, date_from=date_from, date_to=date_to, reason=reason, note=note)
    if id is not None:
        absence.id = id
    absence.full_clean()
    absence.save()
    return absence


ABSENCE_FIELDS = ("rep", "date_from", "date_to", "reason", "note")


@transaction.atomic
def absence_update(*, absence: Absence, by: User | None = None, **fields) -> Absence:
    """Change an absence (the caller has its row locked: core.api's If-Match). A rep's
    absences stay theirs (`_absence_rep`)."""
    _known(fields, ABSENCE_FIELDS)
    if by is not None and not by.is_admin:
        fields["rep"] = _absence_rep(by=by, rep=fields.get("rep"))
    for name, value in fields.items():
        setattr(absence, name, value)
    absence.full_clean()
    absence.save()
    return absence


USER_FIELDS = (
    "username",
    "name",
    "name_en",
    "email",
    "role",
    "language",
    "is_active",
    "registration_number",
    "registration_status",
    "registration_valid_from",
    "registration_valid_to",
)
REGISTRATION_FIELDS = (
    "registration_number",
    "registration_status",
    "registration_valid_from",
    "registration_valid_to",
)


def _check_registration(user):
    """The rules of a rep's registration (User.clean), as a ValidationError per field."""
    user.registration_number = (user.registration_number or "").strip()
    user.clean()


@transaction.atomic
def user_create(*, username: str, password: str | None = None, **fields) -> User:
    """Provision a person (HR / SSO); with `password`, checked as `user_set_password` does (a
    refused password creates nobody)."""
    _known(fields, USER_FIELDS)
    user = User(username=username, **fields)
    _check_registration(user)
    user.save()
    if password is not None:
        user_set_password(user=user, password=password)
    return user


@transaction.atomic
def user_update(*, user: User, password: str | None = None, **fields) -> User:
    """Change a person's profile; with `password`, a new password (`user_set_password`). A
    deactivation or a new password signs their devices out (User.save)."""
    _known(fields, USER_FIELDS)
    for name, value in fields.items():
        setattr(user, name, value)
    if set(fields) & set(REGISTRATION_FIELDS):
        _check_registration(user)
    user.save()
    if password is not None:
        user_set_password(user=user, password=password)
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    """A new password, checked by AUTH_PASSWORD_VALIDATORS; saving it revokes the user's API
    tokens (User.save)."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def api_token_create(*, user: User, device: str = "") -> ApiToken:
    """A new token for one device; a user may hold several, each revocable on its own."""
    return ApiToken.objects.create(user=user, key=secrets.token_hex(20), device=device[:100])


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    token.delete()


COMPLIANCE_FIELDS = (
    "require_registration",
    "show_measures_to_reps",
    "institution_rule",
    "enforce_consent",
)


@transaction.atomic
def compliance_settings_save(*, by: User, expected_version=None, **fields) -> ComplianceSettings:
    """Change the compliance settings; the history keeps every write. With `expected_version`
    (the version the form was read at) settings changed meanwhile are `Stale`, nothing written.
    Turning "show measures to reps" on or off announces it (org.signals), in this transaction."""
    if not by.is_admin:
        raise PermissionDenied
    _known(fields, COMPLIANCE_FIELDS)
    ComplianceSettings.objects.get_or_create(pk=1)  # the defaults in force so far, then …
    current = ComplianceSettings.objects.select_for_update().get(pk=1)
    check_version(
        current,
        expected_version,
        gettext_lazy(
            "Someone else changed the compliance settings meanwhile (now version %(v)s); "
            "your change was not saved. Check them and save again."
        ),
    )
    shown_before = current.show_measures_to_reps
    errors = {}
    for name, value in fields.items():
        if name == "institution_rule":
            if value not in InstitutionRule.values:
                errors[name] = _("Choose one of the rules.")
        elif not isinstance(value, bool):
            errors[name] = _("Yes or no.")
        setattr(current, name, value)
    if errors:
        raise ValidationError(errors)
    current.version += 1
    current._history_user = by
    current.save()
    if current.show_measures_to_reps != shown_before:
        measures_visibility_changed.send(
            sender=ComplianceSettings, shown=current.show_measures_to_reps
        )
    return current
