"""Parsing of captured e-mail (interactions.services.mail_capture.parsing) against a corpus
of real-looking messages (mail_corpus/, written by mail_corpus/generate.py): ordinary mail
and the hostile kinds a journal mailbox receives."""

import pathlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from interactions.services.mail_capture.parsing import (
    Address,
    UnreadableMessage,
    normalize_email,
    parse_message,
)

CORPUS = pathlib.Path(__file__).resolve().parent / "mail_corpus"
LIMIT = 10 * 1024 * 1024


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def parsed(name: str, *, limit: int = LIMIT):
    return parse_message(corpus(name), attachment_limit=limit)


# --------------------------------------------------------------------------- ordinary mail


def test_a_plain_message_gives_its_headers_addresses_and_text():
    message = parsed("plain_utf8.eml")
    assert message.message_id == "<20261130091158.4f2a@northwind.example>"
    assert not message.message_id_was_missing
    assert message.subject == "Quotation for 40 office chairs"
    assert message.sender == Address(name="Anna Petrova", email="anna.petrova@northwind.example")
    assert message.to == (Address(name="Sales", email="sales@ourcompany.example"),)
    assert message.cc == (Address(name="Boris Ivanov", email="boris@northwind.example"),)
    assert message.date == datetime(2026, 11, 30, 6, 11, 58, tzinfo=UTC)
    assert message.date.utcoffset() == timedelta(hours=3)
    assert message.kind == "message"
    assert message.bounced_message_id is None and message.bounce_reason is None
    assert message.text.startswith("Good morning,\n\ncould you send us your quotation")
    assert "Цена с доставкой, пожалуйста." in message.text
    assert message.text.endswith("Purchasing, Northwind")
    assert message.size == len(corpus("plain_utf8.eml"))
    assert message.eml == corpus("plain_utf8.eml") and not message.truncated
    assert [address.email for address in message.addresses()] == [
        "anna.petrova@northwind.example",
        "sales@ourcompany.example",
        "boris@northwind.example",
    ]


def test_a_reply_gives_the_messages_it_answers_and_prefers_the_plain_text():
    message = parsed("reply_with_thread.eml")
    assert message.message_id == "<CAK7xq=Fz0b1@mail.northwind.example>"
    assert message.in_reply_to == "<interaction-1042.1764540000@crm.ourcompany.example>"
    assert message.references == (
        "<interaction-1041.1764500000@crm.ourcompany.example>",
        "<interaction-1042.1764540000@crm.ourcompany.example>",
    )
    assert message.subject == "Re: Quotation QU-1042"
    assert message.text == (
        "Thank you, Sergey. We accept the quotation; the order follows tomorrow.\n\n"
        "> Please find our quotation attached."
    )
    assert "<div" not in message.text


def test_an_html_only_message_is_read_as_text_without_scripts_or_styles():
    message = parsed("html_only.eml")
    assert message.text.splitlines() == [
        "New catalogue",
        "",
        "Dear partner,",
        "",
        "see the catalogue (https://northwind.example/cat) & prices.",
        "",
        "- Chairs",
        "- Desks",
        "",
        "С уважением",
    ]
    assert "С уважением" in message.text
    assert "alert" not in message.text and "color" not in message.text and "Catalogue" not in message.text
    assert "- Chairs" in message.text and "- Desks" in message.text


def test_encoded_word_names_and_subjects_in_several_charsets_are_decoded():
    message = parsed("encoded_word_names.eml")
    assert message.sender == Address(name="Анна Петрова", email="anna@northwind.example")
    assert message.to == (
        Address(name="Сергей Смирнов", email="s.smirnov@ourcompany.example"),
        Address(name="Иван Петров", email="ivan@пример.рф"),
    )
    assert message.to[1].ascii_email == "ivan@xn--e1afmkfd.xn--p1ai"
    assert message.subject == "Счёт № 1042 на оплату"
    assert message.text == "Счёт во вложении."


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Anna.Petrova@Northwind.Example", "anna.petrova@northwind.example"),
        ("  <sales@ourcompany.example> ", "sales@ourcompany.example"),
        ("mailto:Sales@OurCompany.example", "sales@ourcompany.example"),
        ("Ivan@XN--E1AFMKFD.XN--P1AI", "ivan@пример.рф"),
        ("ivan@ПРИМЕР.РФ", "ivan@пример.рф"),
        ("info@bücher.example", "info@bücher.example"),
        ("info@xn--bcher-kva.example", "info@bücher.example"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
        ("", None),
        ("no-at-sign", None),
        ("@example.com", None),
        ("user@", None),
        ("user@localhost", None),
        ("two words@example.com", None),
        ("user@exa mple.com", None),
        ("user@-bad-.example", None),
        ("user@example..com", None),
        ("user@192.168.0.1", None),
        (".user@example.com", None),
        ("us..er@example.com", None),
        ("a" * 65 + "@example.com", None),
        ("user@" + "a" * 64 + ".com", None),
        ("user@xn--zz.example", None),
    ],
)
def test_addresses_are_normalized_or_refused(value, expected):
    assert normalize_email(value) == expected


def test_unicode_and_ascii_forms_of_an_address_compare_equal():
    assert normalize_email("IVAN@xn--e1afmkfd.xn--p1ai") == normalize_email("ivan@Пример.рф")
    assert Address(name="", email=normalize_email("ivan@Пример.рф")).ascii_email == "ivan@xn--e1afmkfd.xn--p1ai"


# --------------------------------------------------------------------------- unreadable


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n", b"\x00\xff\xfe garbage \x80\x81 without any header"])
def test_bytes_that_are_no_message_are_unreadable_with_a_reason(raw):
    with pytest.raises(UnreadableMessage) as caught:
        parse_message(raw, attachment_limit=LIMIT)
    assert caught.value.reason


def test_attachments_with_cyrillic_names_in_every_spelling_are_listed_and_the_text_kept():
    message = parsed("attachments_cyrillic_names.eml")
    assert message.subject == "Договор и счёт"
    assert message.text == "Добрый день!\n\nДоговор и счёт во вложении.\n\nАнна"
    assert [(file.name, file.content_type) for file in message.attachments] == [
        ("Договор.pdf", "application/pdf"),
        ("Счёт № 1042.pdf", "application/pdf"),
        ("Прайс.txt", "text/plain"),
    ]
    assert message.attachments[0].size == pytest.approx(10_250, abs=10)
    assert not message.truncated and message.eml == corpus("attachments_cyrillic_names.eml")


def test_a_message_over_the_limit_keeps_its_headers_and_text_in_a_valid_eml():
    raw = corpus("attachments_cyrillic_names.eml")
    message = parse_message(raw, attachment_limit=len(raw) - 1)
    assert message.truncated and message.size == len(raw)
    assert len(message.eml) < 2000
    assert b"application/pdf" not in message.eml
    again = parse_message(message.eml, attachment_limit=LIMIT)
    assert again.message_id == message.message_id
    assert again.subject == message.subject
    assert again.addresses() == message.addresses()
    assert again.date == message.date
    assert again.text == message.text
    assert again.attachments == ()


def test_a_message_exactly_at_the_limit_is_kept_whole():
    raw = corpus("attachments_cyrillic_names.eml")
    message = parse_message(raw, attachment_limit=len(raw))
    assert not message.truncated and message.eml == raw


def test_the_time_zone_of_a_date_is_kept():
    message = parsed("reply_with_thread.eml")
    assert message.date == datetime(2026, 12, 1, 14, 3, 27, tzinfo=timezone(timedelta(hours=1)))
