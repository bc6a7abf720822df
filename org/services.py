"""Write paths of the organisation: one transaction each."""

import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Absence, ApiToken, Language, Territory, TerritoryAssignment, User


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    if language not in Language.values:
        raise ValidationError({"language": _("Unknown language.")})
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def territory_assign_rep(*, territory: Territory, rep: User | None, on) -> Territory:
    """Hand the territory to `rep` (or leave it vacant) from `on`, keeping who held it when."""
    territory = Territory.objects.select_for_update().get(pk=territory.pk)
    if rep is not None and not rep.is_rep:
        raise ValidationError({"rep": _("Only a rep can hold a territory.")})
    current = territory.assignments.filter(valid_to__isnull=True).first()
    if current is not None:
        if current.valid_from > on:
            raise ValidationError(
                {"valid_from": _("The territory's current holder starts after this date.")}
            )
        if current.rep_id == (rep.pk if rep else None):
            return territory
        if current.valid_from == on:
            current.delete()
        else:
            current.valid_to = on - timedelta(days=1)
            current.save(update_fields=["valid_to"])
    if rep is not None:
        TerritoryAssignment.objects.create(territory=territory, rep=rep, valid_from=on)
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
