"""A recompute job is an audit record: a second "recompute now" of the same period on the same
day is a new job; the first job's page shows what it showed."""

import re

import pytest
from django.urls import reverse

from core.periods import parse
from reports import services
from reports.models import RecomputeJob

pytestmark = pytest.mark.django_db


def job_card(client, job):
    html = client.get(reverse("reports:recompute_job", args=[job.pk])).content.decode()
    card = html[html.index('<section class="card">') : html.index("</section>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card)).strip()


def test_recompute_now_twice_the_same_day_makes_two_jobs_and_the_first_stays(world, login):
    client = login(world.admin)
    first = services.recompute_job_start(by=world.admin, period=parse("2026-03", "month"))
    before = job_card(client, first)
    fields = RecomputeJob.objects.filter(pk=first.pk).values().get()

    second = services.recompute_job_start(by=world.admin, period=parse("2026-03", "month"))

    assert second.pk != first.pk
    assert RecomputeJob.objects.filter(period="2026-03").count() == 2
    assert RecomputeJob.objects.filter(pk=first.pk).values().get() == fields
    assert job_card(client, first) == before
