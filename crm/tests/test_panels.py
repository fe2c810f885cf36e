"""Slots of the host's pages that installed apps fill (crm/panels.py, `{% panels %}`)."""

import pytest
from django.template import Context, Engine

from crm import panels

SNIPPETS = {
    "a.html": "<p>A for {{ name }}</p>",
    "b.html": "<p>B{% with name='inner' %} {{ name }}{% endwith %}</p>",
    "page.html": "{% load crm_panels %}[{% panels 'slot' %}]{{ name }}",
    "page_as.html": "{% load crm_panels %}{% panels 'slot' as html %}{% if html %}<ul>{{ html }}</ul>{% endif %}",
}


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(panels, "_registry", {})


def render(template_name: str, **context) -> str:
    engine = Engine(
        loaders=[("django.template.loaders.locmem.Loader", SNIPPETS)],
        libraries={"crm_panels": "crm.templatetags.crm_panels"},
    )
    return engine.get_template(template_name).render(Context(context))


def test_a_slot_that_no_app_fills_renders_nothing(registry):
    assert render("page.html", name="Ann") == "[]Ann"
    assert render("page_as.html") == ""


def test_the_registered_templates_render_in_order_with_the_page_context(registry):
    panels.register("slot", "b.html", order=10)
    panels.register("slot", "a.html")
    panels.register("slot", "a.html")  # once is enough
    assert panels.templates("slot") == ["a.html", "b.html"]
    assert render("page.html", name="Ann") == "[<p>A for Ann</p><p>B inner</p>]Ann"
    assert render("page_as.html", name="Ann") == "<ul><p>A for Ann</p><p>B inner</p></ul>"


def test_what_a_panel_renders_is_not_escaped_again(registry):
    panels.register("slot", "a.html")
    assert render("page.html", name="<b>") == "[<p>A for &lt;b&gt;</p>]&lt;b&gt;"
