"""Writes of the reminders: run a rule (once per person, rule and period), notify one person of
an event, mark read, e-mail after commit without duplicates, opt-outs and rule settings."""

import logging

from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core import changelog, outbox
from customers.privacy import scrub_text

from .models import DEFAULTS, EmailOptOut, Notification, Rule, RuleRun, RuleSetting
from .rules import RULES

log = logging.getLogger(__name__)


def rule_settings():
    """{rule: RuleSetting}, the missing ones created with their defaults. One query when all
    exist."""
    found = {s.rule: s for s in RuleSetting.objects.all()}
    missing = [RuleSetting(rule=rule, **DEFAULTS[rule]) for rule in Rule if rule not in found]
    if missing:
        RuleSetting.objects.bulk_create(missing, ignore_conflicts=True)
        found = {s.rule: s for s in RuleSetting.objects.all()}
    return found


def rule_setting_save(*, setting, **fields):
    for name, value in fields.items():
        setattr(setting, name, value)
    setting.full_clean()
    setting.save()
    return setting


def _language(user):
    return user.language or django_settings.LANGUAGE_CODE


def _create(rule, reminders, run, setting):
    """Insert the notifications not sent yet (the unique key drops the others, also those a
    concurrent run inserts first) and e-mail the new ones after commit. Returns how many."""
    periods = {r.period for r in reminders}
    sent = set(
        Notification.objects.filter(kind=rule, period__in=periods).values_list("user", "period")
    )
    rows = []
    for reminder in reminders:
        if (reminder.user.pk, reminder.period) in sent:
            continue
        with translation.override(_language(reminder.user)):
            message = reminder.message()
        rows.append(
            Notification(
                user=reminder.user,
                kind=rule,
                period=reminder.period,
                message=message,
                url=reminder.url,
                run=run,
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    count = changelog.record_queryset(Notification.objects.filter(run=run))  # for the sync
    if count and setting.send_email:
        from .tasks import send_emails

        outbox.send_on_commit(send_emails, run.pk)
    return count


def rule_run(rule, *, now=None, started_by_id=None, force=False):
    """Run `rule` if it is active, due at `now` and has not run on schedule that day yet (so the
    month-end rule reads the month's figures once a day, not every 15 minutes); always when
    `force` (an admin's "run now"). Returns the RuleRun, or None. One transaction."""
    now = now or timezone.now()
    day = timezone.localtime(now).date()
    setting = rule_settings()[rule]
    functions = RULES[rule]
    if not force and (
        not setting.is_active
        or not functions.due(setting, now)
        or RuleRun.objects.filter(rule=rule, day=day, started_by__isnull=True).exists()
    ):
        return None
    with transaction.atomic():
        run = RuleRun.objects.create(rule=rule, day=day, started_by_id=started_by_id)
        run.sent = _create(rule, functions.find(setting, now), run, setting)
        run.finished_at = timezone.now()
        run.save(update_fields=["sent", "finished_at"])
    return run


def rules_run_due(*, now=None):
    """Every scheduled rule that is due (the periodic job, every 15 minutes)."""
    return [run for rule in RULES if (run := rule_run(rule, now=now)) is not None]


def notify(*, user, kind, period, url, message):
    """An event's notification (a plan returned …): once per `period` (the event's key);
    `message()` is rendered in the user's language. Call inside the event's transaction."""
    from .rules import Reminder

    setting = rule_settings()[kind]
    if not setting.is_active:
        return None
    with transaction.atomic():
        run = RuleRun.objects.create(rule=kind, day=timezone.localdate(), started_by_id=None)
        run.sent = _create(
            kind, [Reminder(user=user, period=period, url=url, message=message)], run, setting
        )
        run.finished_at = timezone.now()
        run.save(update_fields=["sent", "finished_at"])
    return run


def notification_read(*, user, notification):
    if notification.user_id != user.pk:
        raise PermissionError
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "version", "updated_at"])
    return notification


def notifications_read_all(*, user):
    with transaction.atomic():
        unread = Notification.objects.filter(user=user, read_at__isnull=True)
        changelog.record_queryset(unread)
        return unread.update(read_at=timezone.now(), updated_at=timezone.now())


def email_opt_outs_set(*, user, rules):
    """The rules whose e-mails `user` does not want (the others are wanted)."""
    rules = set(rules)
    with transaction.atomic():
        EmailOptOut.objects.filter(user=user).exclude(rule__in=rules).delete()
        EmailOptOut.objects.bulk_create(
            [EmailOptOut(user=user, rule=rule) for rule in rules], ignore_conflicts=True
        )


def _absolute(path):
    return django_settings.SITE_URL.rstrip("/") + path


def _email(notification):
    user = notification.user
    with translation.override(_language(user)):
        context = {
            "notification": notification,
            "user": user,
            "title": notification.get_kind_display(),
            "link": _absolute(notification.url or "/"),
            "settings_link": _absolute(reverse("notifications:settings")),
        }
        subject = f"{context['title']} · Baifang"
        text = render_to_string("notifications/email/notification.txt", context)
        html = render_to_string("notifications/email/notification.html", context)
    message = EmailMultiAlternatives(subject, text, to=[user.email])
    message.attach_alternative(html, "text/html")
    return message


def emails_send(run_id):
    """E-mail the run's notifications to those who want them, each once: a notification is
    claimed (emailed_at set) before it is sent and released if sending fails, so a retry or a
    concurrent sender never sends it twice. Raises on the first failure (the task retries)."""
    wanted = (
        Notification.objects.filter(run_id=run_id, emailed_at__isnull=True)
        .exclude(user__email="")
        .exclude(Exists(EmailOptOut.objects.filter(user=OuterRef("user"), rule=OuterRef("kind"))))
        .select_related("user")
    )
    sent = 0
    for notification in wanted:
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        try:
            _email(notification).send()
        except Exception:
            Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
            log.warning("e-mail of notification %s failed", notification.pk, exc_info=True)
            raise
        sent += 1
    return sent


def scrub_customer(customer, pairs) -> None:
    """A customer's erasure (customers.privacy): every notification whose message mentions the
    person's name gets the erased name instead (messages are not linked to the customers they
    name; a namesake's mention is scrubbed too — a reminder loses a name, no record is lost)."""
    changed = scrub_text(Notification.objects.all(), ("message",), pairs, synced=True)
    changelog.record(Notification, changed)
