"""One class badge everywhere: `{% klass_badge klass [text] %}` says the class by its letter on
its colour, names it in its title, and says "Unclassified" to a screen reader when there is none;
no template writes a badge by hand."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent


def badge(arguments, **context):
    with translation.override("en"):
        return (
            Template("{% load core_tags %}{% klass_badge " + arguments + " %}")
            .render(Context(context))
            .strip()
        )  # the include's file ends with a newline


def test_a_class_is_its_letter_on_its_colour_with_its_name_as_title():
    assert badge("klass", klass="B") == '<span class="badge klass-B" title="B · attack">B</span>'


def test_a_non_prescriber_shows_its_role_group():
    assert (
        badge('"N" text', text="N3")
        == '<span class="badge klass-N" title="N · non-prescriber">N3</span>'
    )
    assert badge("klass|slice:':1' klass", klass="N2").startswith('<span class="badge klass-N"')


def test_no_class_is_a_dash_that_a_screen_reader_reads():
    html = badge("klass", klass=None)
    assert 'class="badge klass-none" title="Unclassified"' in html
    assert '<span aria-hidden="true">—</span><span class="sr-only">Unclassified</span>' in html


def test_an_empty_text_shows_the_letter():
    assert badge('klass ""', klass="A") == badge("klass", klass="A")


@pytest.mark.parametrize(
    "template",
    [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_template_writes_a_badge_by_hand(template):
    if template.name == "klass_badge.html":
        return
    assert re.findall(r'class="badge klass-', template.read_text()) == []
