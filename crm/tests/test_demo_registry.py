"""The registry of demo data (crm/demo.py): installed apps register their loaders,
`load_demo` runs them in order and knows none of them."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from crm import demo
from crm.contacts.models import Contact


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test."""
    monkeypatch.setattr(demo, "_registry", {})
    return demo._registry


def names() -> list[str]:
    return [loader.name for loader in demo.loaders()]


def noop(context):
    return None


def test_the_installed_apps_register_their_demo_data():
    demo.autodiscover()
    assert {"contacts", "documents"} <= set(names())
    assert names().index("contacts") < names().index("documents")


def test_loaders_run_after_those_they_name_and_before_those_that_name_them(registry):
    demo.register("documents", after=["contacts"])(noop)
    demo.register("contacts")(noop)
    demo.register("records-prints", after=["contacts"], before=["documents", "not-installed"])(noop)
    assert names() == ["contacts", "records-prints", "documents"]


def test_a_loader_after_one_that_nobody_provides_is_an_error(registry):
    demo.register("documents", after=["contacts"])(noop)
    with pytest.raises(ImproperlyConfigured, match="'contacts', which no installed app provides"):
        demo.loaders()


def test_loaders_waiting_for_each_other_are_an_error(registry):
    demo.register("a", after=["b"])(noop)
    demo.register("b", after=["a"])(noop)
    with pytest.raises(ImproperlyConfigured, match="wait for each other"):
        demo.loaders()


@pytest.mark.django_db
def test_load_demo_runs_the_loaders_shares_their_results_and_prints_their_summary(monkeypatch):
    demo.autodiscover()
    monkeypatch.setattr(demo, "_registry", {})
    seen = []

    @demo.register("first")
    def first(context):
        context.report("one thing")
        return 41

    @demo.register("second", after=["first"])
    def second(context):
        seen.append(context.results["first"])
        context.report("another")

    out = io.StringIO()
    call_command("load_demo", "--no-logins", "--seed", "7", stdout=out)
    assert seen == [41]
    assert out.getvalue().splitlines()[0] == "Demo data: one thing; another."


@pytest.mark.django_db
def test_an_option_a_loader_adds_is_checked_before_anything_is_loaded(monkeypatch):
    demo.autodiscover()
    monkeypatch.setattr(demo, "_registry", dict(demo._registry))

    def add_arguments(parser):
        parser.add_argument("--widgets", type=int, default=1)

    def check_options(options):
        if options["widgets"] < 0:
            raise ValueError("--widgets cannot be negative.")

    demo.register("widgets", add_arguments=add_arguments, check_options=check_options)(noop)
    with pytest.raises(CommandError, match="--widgets cannot be negative."):
        call_command("load_demo", "--widgets", "-1", stdout=io.StringIO())
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_load_demo_refuses_a_seed_that_is_not_a_number_and_loads_nothing():
    with pytest.raises(CommandError, match="argument --seed: invalid int value: '1.5'"):
        call_command("load_demo", "--seed", "1.5", stdout=io.StringIO())
    assert not Contact.objects.exists()
