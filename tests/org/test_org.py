"""Organisation invariants: territory holders over time, the work calendar and field days."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from org.models import Absence, CalendarDay, Role, Territory, TerritoryAssignment
from org.selectors import field_days, working_days
from org.services import absence_create, territory_assign_rep, user_set_language
from tests.factories import TeamFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def test_handing_over_a_territory_keeps_who_held_it_when():
    first, second = UserFactory(), UserFactory()
    territory = TerritoryFactory()

    territory_assign_rep(territory=territory, rep=first, on=D(2026, 1, 1))
    territory_assign_rep(territory=territory, rep=second, on=D(2026, 7, 1))
    territory_assign_rep(territory=territory, rep=None, on=D(2026, 10, 1))

    history = list(
        territory.assignments.order_by("valid_from").values_list("rep", "valid_from", "valid_to")
    )
    assert history == [
        (first.pk, D(2026, 1, 1), D(2026, 6, 30)),
        (second.pk, D(2026, 7, 1), D(2026, 9, 30)),
    ]
    territory.refresh_from_db()
    assert territory.rep is None


def test_assigning_the_same_rep_again_changes_nothing():
    rep = UserFactory()
    territory = TerritoryFactory()
    territory_assign_rep(territory=territory, rep=rep, on=D(2026, 1, 1))

    territory_assign_rep(territory=territory, rep=rep, on=D(2026, 3, 1))

    assert territory.assignments.count() == 1


def test_only_a_rep_can_hold_a_territory():
    territory = TerritoryFactory()

    with pytest.raises(ValidationError) as error:
        territory_assign_rep(territory=territory, rep=UserFactory(role=Role.DM), on=D(2026, 1, 1))

    assert "rep" in error.value.message_dict
    assert not territory.assignments.exists()


def test_a_handover_cannot_predate_the_current_holder():
    territory = TerritoryFactory()
    territory_assign_rep(territory=territory, rep=UserFactory(), on=D(2026, 5, 1))

    with pytest.raises(ValidationError):
        territory_assign_rep(territory=territory, rep=UserFactory(), on=D(2026, 4, 1))

    assert territory.assignments.count() == 1


def test_working_days_follow_the_company_calendar():
    CalendarDay.objects.create(date=D(2026, 10, 1), name="国庆节")  # Thursday holiday
    CalendarDay.objects.create(date=D(2026, 10, 10), is_working_day=True, name="调休")  # Sat

    days = working_days(D(2026, 10, 1), D(2026, 10, 11))

    assert days == [D(2026, 10, d) for d in (2, 5, 6, 7, 8, 9, 10)]


def test_field_days_are_working_days_minus_absences():
    rep = UserFactory()
    absence_create(rep=rep, date_from=D(2026, 11, 2), date_to=D(2026, 11, 3), reason="leave")
    absence_create(rep=rep, date_from=D(2026, 11, 7), date_to=D(2026, 11, 9), reason="training")

    # November 2026 has 21 weekdays; leave takes 2, training 1 (the 9th; 7–8 is a weekend).
    assert field_days(rep, D(2026, 11, 1), D(2026, 11, 30)) == 18


@pytest.mark.parametrize(
    ("date_from", "date_to", "reason", "field"),
    [
        (D(2026, 11, 5), D(2026, 11, 4), "leave", "__all__"),
        (D(2026, 11, 5), D(2026, 11, 6), "holiday", "reason"),
    ],
)
def test_bad_absences_are_refused(date_from, date_to, reason, field):
    with pytest.raises(ValidationError) as error:
        absence_create(rep=UserFactory(), date_from=date_from, date_to=date_to, reason=reason)

    assert field in error.value.message_dict
    assert not Absence.objects.exists()


def test_the_database_refuses_an_assignment_ending_before_it_starts():
    territory = TerritoryFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        TerritoryAssignment.objects.create(
            territory=territory, rep=UserFactory(), valid_from=D(2026, 2, 1), valid_to=D(2026, 1, 1)
        )


def test_a_team_cannot_have_a_negative_call_rate_target():
    team = TeamFactory.build(call_rate_target=-1)

    with pytest.raises(ValidationError) as error:
        team.full_clean()

    assert "The call rate target cannot be negative." in str(error.value)


def test_a_version_grows_on_every_save():
    territory = TerritoryFactory()
    territory.name = "New name"
    territory.save()
    territory.save()

    assert Territory.objects.get(pk=territory.pk).version == 3


def test_unknown_languages_are_refused():
    user = UserFactory(language="en")

    with pytest.raises(ValidationError):
        user_set_language(user=user, language="fr")

    user.refresh_from_db()
    assert user.language == "en"


def test_every_model_of_the_organisation_is_scoped(world):
    from org.models import District, Product, Region, User

    absence = absence_create(
        rep=world.rep_y, date_from=D(2026, 11, 2), date_to=D(2026, 11, 2), reason="leave"
    )

    def names(queryset, attr="code"):
        return set(queryset.values_list(attr, flat=True))

    assert names(District.objects.for_user(world.rep_x)) == {"X"}
    assert names(District.objects.for_user(world.dm_y)) == {"Y"}
    assert names(District.objects.for_user(world.regional)) == {"X", "Y"}
    assert names(Region.objects.for_user(world.rep_x)) == {"EAST"}
    assert names(Region.objects.for_user(world.outsider_rep)) != {"EAST"}
    assert names(User.objects.for_user(world.rep_x), "username") == {"rep_x"}
    assert names(User.objects.for_user(world.dm_x), "username") == {"dm_x", "rep_x"}
    assert {"dm_x", "dm_y", "rep_x", "rep_y"} <= names(
        User.objects.for_user(world.regional), "username"
    )
    assert list(Absence.objects.for_user(world.rep_x)) == []
    assert list(Absence.objects.for_user(world.dm_y)) == [absence]
    assert list(Absence.objects.for_user(world.dm_x)) == []
    assert Product.objects.for_user(world.rep_x).count() == Product.objects.count()
    assert names(TerritoryAssignment.objects.for_user(world.dm_x), "territory__code") == {"TX"}
