"""Write paths of the organisation: one transaction each."""

import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.constraints import violated

from .models import (
    ASSIGNMENT_NO_OVERLAP,
    ASSIGNMENT_ONE_OPEN,
    ASSIGNMENT_OVERLAP,
    Absence,
    ApiToken,
    Language,
    Territory,
    TerritoryAssignment,
    User,
)


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    if language not in Language.values:
        raise ValidationError({"language": _("Unknown language.")})
    user.language = language
    user.save(update_fields=["language"])
    return user


TERRITORY_FIELDS = ("name", "code", "team", "district")


@transaction.atomic
def territory_update(*, territory: Territory, **fields) -> Territory:
    """Change a territory's name, code, team or district. Its rep changes only by a handover
    (`territory_assign_rep`): the row is locked and read again, so a change racing a handover
    never writes back the rep it read before."""
    unknown = set(fields) - set(TERRITORY_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    territory = Territory.objects.select_for_update().get(pk=territory.pk)
    for name, value in fields.items():
        setattr(territory, name, value)
    territory.full_clean()
    territory.save()
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


@transaction.atomic
def absence_create(*, rep: User, date_from, date_to, reason: str, note: str = "") -> Absence:
    absence = Absence(rep=rep, date_from=date_from, date_to=date_to, reason=reason, note=note)
    absence.full_clean()
    absence.save()
    return absence


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
