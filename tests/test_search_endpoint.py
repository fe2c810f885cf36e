"""The search (crm/search) with hypothesis: whatever is typed, the palette's JSON and the
results page answer without a server error, and every result they offer is one the
searching user may open (the test client gets it, status 200). The data belong to two
sales staff users (each with a postponed interaction of their own), besides contacts,
documents, segments, logged segments and templates; the searches run as sales staff,
sales manager and administrator.

Examples come from the hypothesis profile (conftest.py): 50 locally, 300 in CI."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from interactions.tests.factories import InteractionLogEntryFactory

from .security_support import build_world, client_of, user_of

pytestmark = pytest.mark.django_db

ROLES = ("sales", "manager", "admin")


@pytest.fixture
def world():
    world = build_world()
    # The searching sales staff user's own postponed interaction; the world's other one
    # belongs to another sales staff user ("other-sales").
    world.own_postponed = InteractionLogEntryFactory(
        contact=world.person, template=world.template, postponed=True, user=user_of("sales"), description="Own draft"
    )
    world.person.phone = "+7 (495) 123-45-67"
    world.person.save()
    return world


@pytest.fixture
def clients(world):
    return {role: client_of(role) for role in ROLES}


def fragments(world) -> list[str]:
    """What users type: parts of the world's names and numbers, pages' names, wildcards."""
    return [
        world.person.name,
        world.person.name[:4],
        world.company.number,
        world.person.number.lower(),
        "495123",
        "(495) 123",
        str(world.entry.entry_no),
        str(world.postponed.entry_no),
        str(world.own_postponed.entry_no),
        f"#{world.postponed.entry_no}",
        world.segment.number,
        str(world.logged_segment.pk),
        "Logged",
        world.template.code,
        world.document.number,
        world.document.number[-4:],
        "журналы взаимодействий",
        "удалить отмененные",
        "interaction log entries",
        "log",
        "new",
        "admin",
        "%",
        "_",
        "\\",
        "'",
        "Plain",
    ]


def queries(world) -> st.SearchStrategy[str]:
    known = st.sampled_from(fragments(world))
    return st.one_of(
        known,
        st.text(max_size=30),  # any code point but surrogates: controls, NUL, RTL marks, emoji
        st.text(min_size=90, max_size=400),
        st.tuples(known, st.text(max_size=5), known).map("".join),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
    )


@given(data=st.data())
def test_every_result_is_one_the_user_may_open_and_nothing_answers_500(world, clients, data):
    text = data.draw(queries(world), label="query")
    opened: dict[str, set[str]] = getattr(world, "opened", None) or {role: set() for role in ROLES}
    world.opened = opened  # each URL is opened once per role for the whole test
    for role, client in clients.items():
        response = client.get(reverse("search:suggestions"), {"q": text})
        page = client.get(reverse("search:results"), {"q": text})
        if "\x00" in text:
            assert response.status_code == page.status_code == 400
            continue
        assert response.status_code == page.status_code == 200, (role, text)
        for result in response.json()["results"]:
            url = result["url"]
            assert url.startswith("/"), url
            assert f'href="{url}"' in page.content.decode(), (role, text, url)
            if url in opened[role]:
                continue
            assert client.get(url).status_code == 200, (role, text, url)
            opened[role].add(url)


def test_sales_staff_do_not_find_another_users_postponed_interaction(world, clients):
    """The hypothesis test above would notice too (the resume page answers 403); said plainly."""
    other = reverse("interactions:postponed-resume", args=[world.postponed.entry_no])
    own = reverse("interactions:postponed-resume", args=[world.own_postponed.entry_no])
    sales = clients["sales"].get(reverse("search:suggestions"), {"q": str(world.postponed.entry_no)}).json()
    assert other not in [result["url"] for result in sales["results"]]
    mine = clients["sales"].get(reverse("search:suggestions"), {"q": str(world.own_postponed.entry_no)}).json()
    assert own in [result["url"] for result in mine["results"]]
    manager = clients["manager"].get(reverse("search:suggestions"), {"q": str(world.postponed.entry_no)}).json()
    assert other in [result["url"] for result in manager["results"]]
