"""Every rep page fits a 390-px phone, in zh-Hans (the default language) and in English.

The rep's `language` is zh-hans (the product serves a user in their own language); after every
page has been measured in Chinese, the header's language switch turns it to English and every
page is measured again. For each page, as served and then with every `<details>` opened (the
header's user menu, the filters, the optional sections of a form), the test asserts:

- no horizontal scroll: `document.documentElement.scrollWidth <= 390`;
- no visible tap target under 44 x 44 px.

A *tap target* is a visible `a[href]`, `button`, `input` (not `type=hidden`), `select`,
`textarea`, `summary`, or `label` of a checkbox / radio. A checkbox or radio with a label (the
label wraps it, or names it with `for=`) counts by the larger of the two boxes, in each
dimension: the label row is the target, so a visually hidden radio of a segmented control is
measured by its label. Its size is `getBoundingClientRect()`; both width and height must be at
least 44 px. There is no exemption, not even for links inside running text.

*Visible* means: a box of non-zero size, not `visibility: hidden`, not inside a closed
`<details>` (no box then) and not the screen-reader-only pattern (clipped to 1 x 1 px, like the
"skip to content" link until it has the focus).

The pages are those of the URLconfs a rep uses (calls, customers, plans, reports,
notifications, account), with enough data that their lists, pagers, forms, comments,
amendments and proposals show. The test measures whatever each page holds, so it keeps
guarding pages that change later.
"""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser

from calls import services as call_services
from calls.models import CallStatus, CoachingComment
from notifications.models import Notification, Rule
from org.services import api_token_create
from planning.models import JointCallProposal, PlanStatus
from tests.calls.conftest import cw  # noqa: F401 - the calls world fixture
from tests.calls.factories import make_call
from tests.conftest import PASSWORD
from tests.factories import CustomerFactory, TerritoryFactory, UserFactory
from tests.planning.conftest import QUARTER, classify
from tests.planning.factories import make_plan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TAP = 44
SHOTS = Path("/tmp/shots/layout")

# Measured in the page: the tap targets under TAP px and the page's width.
MEASURE = r"""(tap) => {
  const hiddenBox = (el) => {
    // Not rendered: display none, visibility hidden, or inside a closed <details>.
    if (!el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})) return true;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return true;
    return r.width <= 1 && r.height <= 1;  // the screen-reader-only pattern
  };
  const describe = (el) => {
    const names = [...el.classList].map((c) => `.${c}`).join('');
    const type = el.tagName === 'INPUT' ? `[type=${el.type}]` : '';
    return el.tagName.toLowerCase() + type + names;
  };
  const labelOf = (input) => {
    const wrapping = input.closest('label');
    if (wrapping) return wrapping;
    return input.id ? document.querySelector(`label[for="${CSS.escape(input.id)}"]`) : null;
  };
  const isToggle = (el) => el.matches('input[type=checkbox], input[type=radio]');
  const controlOf = (label) => {
    const c = label.control;
    return c && isToggle(c) ? c : null;
  };
  const targets = new Set();
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, label';
  for (const el of document.querySelectorAll(selector)) {
    if (el.tagName === 'LABEL') {
      const input = controlOf(el);
      if (input) targets.add(input);  // measured as its toggle, by the larger box
      continue;
    }
    targets.add(el);
  }
  const failures = [];
  for (const el of targets) {
    let boxes = [el];
    if (isToggle(el)) {
      const label = labelOf(el);
      if (label) boxes.push(label);
    }
    boxes = boxes.filter((b) => !hiddenBox(b));
    if (!boxes.length) continue;
    const rects = boxes.map((b) => b.getBoundingClientRect());
    const width = Math.max(...rects.map((r) => r.width));
    const height = Math.max(...rects.map((r) => r.height));
    if (width + 0.01 >= tap && height + 0.01 >= tap) continue;
    const shown = boxes[boxes.length - 1];
    const text = (shown.innerText || shown.value || shown.getAttribute('aria-label') ||
      shown.getAttribute('name') || '').replace(/\s+/g, ' ').trim().slice(0, 40);
    const parent = el.parentElement ? describe(el.parentElement) : '';
    failures.push(
      `${describe(el)} "${text}" in ${parent}: ${Math.round(width)}x${Math.round(height)} px` +
      (shown !== el ? ' (with its label)' : '')
    );
  }
  return {width: document.documentElement.scrollWidth, failures};
}"""

OPEN_ALL = "() => document.querySelectorAll('details').forEach((d) => { d.open = true; })"


@pytest.fixture
def rep_pages(cw, settings):  # noqa: F811
    """The data the rep pages need, and their URLs (name, path)."""
    settings.PAGE_SIZE = 2  # so lists show their pager
    cw.rep_x.language = "zh-hans"  # a new rep reads the default language
    cw.rep_x.save(update_fields=["language"])
    today = timezone.localdate()
    days = datetime.timedelta
    classify(cw.cx, cw.px, "A")
    classify(cw.cx2, cw.px, "B")
    for n in range(3):
        CustomerFactory(institution=cw.hx, department=cw.dx, territory=cw.tx)
    planned = make_call(
        cw.tx, [cw.cx], status=CallStatus.PLANNED, objective="Introduce the PFS data"
    )
    make_call(cw.tx, [cw.cx2], status=CallStatus.PLANNED, start_time=datetime.time(14, 0))
    done = make_call(
        cw.tx,
        [cw.cx, cw.cx2],
        products=[(cw.px, [cw.km1], "Wants the subgroup data")],
        materials=[(cw.leaflet, 2)],
        is_pim=True,
        next_objective="Bring the trial summary",
        commitment_measurable="Try it on 3 patients",
    )
    CoachingComment.objects.create(call=done, author=cw.dm_x, text="Open with the question.")
    locked = make_call(
        cw.tx,
        [cw.cx],
        date=today - days(20),
        completed_at=timezone.now() - days(20),
        products=[(cw.px, [cw.km1], "Not convinced")],
    )
    amended = make_call(
        cw.tx,
        [cw.cx2],
        date=today - days(21),
        completed_at=timezone.now() - days(21),
        products=[(cw.px, [cw.km2], "Interested")],
    )
    call_services.amendment_request(
        by=cw.rep_x, call=amended, reason="Wrong feedback recorded", notes="Corrected"
    )
    # A colleague of the same team and district: a proposal on the rep's visit, and a visit of
    # theirs the rep may join.
    mate = UserFactory(username="mate_x")
    tmate = TerritoryFactory(district=cw.district_x, team=cw.tx.team, holder=mate, code="TX2")
    cm = CustomerFactory(name="赵伟", name_en="Zhao Wei", institution=cw.hx, territory=tmate)
    tomorrow = today + days(1)
    visit = make_call(cw.tx, [cw.cx], status=CallStatus.PLANNED, date=tomorrow)
    JointCallProposal.objects.create(call=visit, proposer=mate, note="I'd like to come along")
    make_call(tmate, [cm], status=CallStatus.PLANNED, date=tomorrow)
    plan = make_plan(
        cw.rep_x,
        cw.tx,
        quarter=QUARTER,
        status=PlanStatus.DRAFT,
        targets=[(cw.cx, 2), (cw.cx2, 1)],
    )
    for n in range(3):
        Notification.objects.create(
            user=cw.rep_x,
            kind=Rule.PLANNED_NOT_RECORDED,
            period=f"2026-11-{27 + n}",
            message="2 planned calls not recorded yet",
            url=reverse("calls:list"),
        )
    api_token_create(user=cw.rep_x, device="iPhone 15")
    customer_new = reverse("calls:new")
    return [
        ("Today", reverse("home")),
        ("calls list", reverse("calls:list")),
        ("calls week", reverse("calls:week")),
        ("call form", f"{customer_new}?customer={cw.cx.pk}"),
        ("plan a call", f"{customer_new}?customer={cw.cx.pk}&plan=1"),
        ("log a planned call", reverse("calls:log", args=[planned.pk])),
        ("call detail", reverse("calls:detail", args=[done.pk])),
        ("call with an amendment", reverse("calls:detail", args=[amended.pk])),
        ("amend a locked call", reverse("calls:amend", args=[locked.pk])),
        ("customer pick", customer_new),
        ("customer pick, searched", f"{customer_new}?q=Wang"),
        ("customer pick, nothing found", f"{customer_new}?q=Nobody"),
        ("coaching feedback", reverse("calls:feedback")),
        ("customer call history", reverse("calls:customer_history", args=[cw.cx.pk])),
        ("customers list", reverse("customers:list")),
        ("customer profile", reverse("customers:detail", args=[cw.cx.pk])),
        ("customer create", reverse("customers:create")),
        ("customer edit", reverse("customers:edit", args=[cw.cx.pk])),
        ("institutions", reverse("customers:institution_list")),
        ("institution", reverse("customers:institution_detail", args=[cw.hx.pk])),
        ("department", reverse("customers:department_detail", args=[cw.dx.pk])),
        ("plans list", reverse("planning:list")),
        ("plan form", reverse("planning:edit", args=[plan.pk])),
        ("plan detail", reverse("planning:detail", args=[plan.pk])),
        ("planning week", reverse("planning:week")),
        ("planning next week", f"{reverse('planning:week')}?start={tomorrow + days(7)}"),
        ("rep dashboard", reverse("reports:dashboard")),
        ("opportunity", reverse("reports:opportunity")),
        ("notifications", reverse("notifications:list")),
        ("e-mail settings", reverse("notifications:settings")),
        ("devices", reverse("devices")),
        ("password change", reverse("password_change")),
    ]


def measure(page, name, problems):
    """Adds the page's problems (as shown, then with every collapsed section opened) to
    `problems`: {problem: [pages]}."""
    for state in ("", " (sections opened)"):
        if state:
            page.evaluate(OPEN_ALL)
        result = page.evaluate(MEASURE, TAP)
        found = result["failures"]
        if result["width"] > PHONE["width"]:
            found = [f"the page scrolls sideways: {result['width']} px wide", *found]
        for problem in dict.fromkeys(found):
            pages = problems.setdefault(problem, [])
            if name not in pages:
                pages.append(name)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_every_rep_page_fits_a_phone_in_both_languages(browser: Browser, live_server, rep_pages):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill("rep_x")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/")

    problems = {}
    for language in ("zh-hans", "en"):
        if language != "zh-hans":
            page.locator(f'.lang button[value="{language}"]').click()
            page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == language
        for name, path in rep_pages:
            response = page.goto(f"{live_server.url}{path}")
            assert response.ok, f"{name} ({path}) answers {response.status}"
            assert "/login/" not in page.url, f"{name} ({path}) sends the rep to the login page"
            if name in ("Today", "calls list", "customer profile", "rep dashboard"):
                shot(page, f"{name.replace(' ', '_')}-{language}")
            measure(page, f"[{language}] {name}", problems)
        page.goto(f"{live_server.url}/")
        page.locator(".usermenu summary").click()
        page.screenshot(path=str(SHOTS / f"header_menu-{language}.png"))
    context.close()

    report = [f"{problem}\n    on {', '.join(pages)}" for problem, pages in problems.items()]
    if problems:
        pytest.fail("Not fit for a phone (tag, class, text, size):\n" + "\n".join(report), False)


def test_the_desk_layout_stays_dense_for_a_manager(browser: Browser, live_server, rep_pages, cw):  # noqa: F811
    """The phone's 44-px rules stop at 720 px: the DM's dashboard at 1440 px keeps one-line
    header and its table's links (the drill-downs) no taller than their text."""
    context = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill("dm_x")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}{reverse('reports:dashboard')}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dm_dashboard-1440.png"), full_page=True)

    sizes = page.evaluate(
        """() => ({
          topbar: document.querySelector('.topbar').getBoundingClientRect().height,
          links: [...document.querySelectorAll('main table a[href]')].map(
            (a) => a.getBoundingClientRect().height),
        })"""
    )
    context.close()
    assert sizes["topbar"] < 60
    assert sizes["links"] and max(sizes["links"]) < TAP
