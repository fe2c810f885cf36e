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


# --------------------------------------------------------------------------- broken MIME


def test_a_multipart_whose_boundary_is_wrong_is_split_at_the_one_it_uses():
    message = parsed("broken_boundary.eml")
    assert message.text == "The parts use a boundary that the header does not declare."
    assert [file.name for file in message.attachments] == ["x.bin"]


def test_a_message_cut_off_in_an_attachment_keeps_its_text():
    message = parsed("unclosed_multipart.eml")
    assert message.text == ("The text part is whole; the attachment below was cut off by a mail server that gave up.")
    assert [file.name for file in message.attachments] == ["offer.pdf"]


def test_a_multipart_without_a_boundary_gives_its_body_as_text():
    message = parsed("no_content_type_header_body.eml")
    assert message.text == "!!!! this is not base64 and the multipart has no boundary !!!!"
    assert message.sender.email == "someone@northwind.example" and message.to == ()


def test_broken_encoded_words_unknown_charsets_and_transfer_encodings_do_not_stop_the_parse():
    message = parsed("bad_transfer_encodings.eml")
    # Invalid base64 stays as written; an unknown charset is guessed; a character split
    # between two encoded-words is joined again.
    assert message.subject == "=?utf-8?B?!!notbase64?= and caféПривет"
    assert message.text == "Body in an unknown transfer encoding and an unknown charset: kept as it is."


def test_a_deeply_nested_message_is_read_to_its_innermost_text():
    assert parsed("deeply_nested.eml").text == "Deep inside."


def test_nested_multiparts_give_the_messages_own_text_not_the_forwarded_ones():
    message = parsed("nested_multipart.eml")
    assert message.text == "Please see the message below. — Anna"
    assert "forwarded message" not in message.text
    assert [file.name for file in message.attachments] == ["logo.png"]
    assert message.kind == "message"


def test_nul_bytes_and_control_characters_never_reach_the_texts():
    message = parsed("nul_and_controls.eml")
    assert message.subject == "Nul in the subject"
    assert message.sender.name == "Anna Petrova"
    assert message.text == "A body with a NUL byte and a bell and a form feed."


def test_a_huge_header_is_read_whole():
    message = parsed("long_header_line.eml")
    assert len(message.to) == 300
    assert message.subject == ("very long subject " * 200).strip()


def test_an_unreadable_date_is_none_and_a_missing_one_too():
    assert parsed("bad_dates.eml").date is None
    assert parsed("deeply_nested.eml").date is None


def test_groups_and_broken_addresses_are_skipped_and_the_good_ones_kept():
    message = parsed("undisclosed_recipients.eml")
    assert message.to == ()
    assert message.cc == (Address(name="", email="a@northwind.example"),)
    assert message.date.utcoffset() == timedelta(hours=-8)


# --------------------------------------------------------------------------- Message-ID


def test_a_message_without_message_id_gets_a_hash_of_its_stable_headers():
    message = parsed("no_message_id.eml")
    assert message.message_id_was_missing
    assert message.message_id.startswith("hash:") and len(message.message_id) == len("hash:") + 64
    assert parsed("no_message_id.eml").message_id == message.message_id


def test_the_hash_is_the_same_for_a_copy_refolded_and_reencoded_by_another_server():
    # The same message as another mailbox holds it: headers folded elsewhere, the address
    # in capitals, the date without its leading zero, the body in base64.
    assert parsed("no_message_id_refolded.eml").message_id == parsed("no_message_id.eml").message_id


def test_the_hash_differs_when_what_was_said_differs():
    raw = corpus("no_message_id.eml")
    other = raw.replace(b"The scanned delivery note", b"The scanned invoice")
    assert parse_message(other, attachment_limit=LIMIT).message_id != parsed("no_message_id.eml").message_id


def test_an_empty_message_id_counts_as_missing():
    message = parsed("empty_message_id.eml")
    assert message.message_id_was_missing and message.message_id.startswith("hash:")


def test_of_two_message_ids_the_first_valid_one_is_taken_and_references_are_deduplicated():
    message = parsed("duplicate_message_id.eml")
    assert message.message_id == "<first-valid@northwind.example>"
    assert not message.message_id_was_missing
    assert message.in_reply_to == "<interaction-77@crm.ourcompany.example>"
    assert message.references == ("<a@x.example>", "<interaction-77@crm.ourcompany.example>")


def test_a_message_id_without_brackets_gets_them():
    message = parsed("bare_message_id.eml")
    assert message.message_id == "<bare-id.12345@legacy.northwind.example>"
    assert message.in_reply_to == "<interaction-78@crm.ourcompany.example>"


# --------------------------------------------------------------------------- charsets


@pytest.mark.parametrize(
    ("name", "sender", "to", "subject", "text"),
    [
        (
            "raw_8bit_headers_utf8.eml",
            Address(name="Иван Петров", email="ivan@пример.рф"),
            Address(name="Отдел продаж", email="sales@ourcompany.example"),
            "Заказ №17 — срочно",
            "Прошу подтвердить заказ №17.",
        ),
        (
            "raw_8bit_headers_cp1251.eml",
            Address(name="Иван Петров", email="ivan@northwind.example"),
            Address(name="Отдел продаж", email="sales@ourcompany.example"),
            "Счёт на оплату, договор поставки",
            "Добрый день! Направляю счёт и договор поставки.",
        ),
        (
            "raw_8bit_headers_koi8r_undeclared.eml",
            Address(name="Сергей Кузнецов", email="kuznetsov@northwind.example"),
            Address(name="", email="sales@ourcompany.example"),
            "Предложение о сотрудничестве",
            "Здравствуйте! Предлагаем обсудить условия поставки оборудования.",
        ),
        (
            "koi8r_body.eml",
            Address(name="Сергей Кузнецов", email="kuznetsov@northwind.example"),
            Address(name="", email="sales@ourcompany.example"),
            "Предложение",
            "Здравствуйте! Высылаем коммерческое предложение на поставку стульев.",
        ),
        (
            "cp1251_body_undeclared.eml",
            Address(name="Petr Sidorov", email="sidorov@northwind.example"),
            Address(name="", email="sales@ourcompany.example"),
            "Просьба",
            "Просьба выставить счёт на 40 стульев «Эрго 200» — срочно.",
        ),
        (
            "cp1251_body_mislabelled_ascii.eml",
            Address(name="Petr Sidorov", email="sidorov@northwind.example"),
            Address(name="", email="sales@ourcompany.example"),
            "Mislabelled",
            "Спасибо, получили.",
        ),
        (
            "koi8r_base64_html.eml",
            Address(name="", email="kuznetsov@northwind.example"),
            Address(name="", email="sales@ourcompany.example"),
            "HTML in KOI8-R",
            "Цены на 2027 год",
        ),
    ],
)
def test_8bit_headers_and_koi8r_and_windows_1251_bodies_are_read_in_their_charset(name, sender, to, subject, text):
    message = parsed(name)
    assert message.sender == sender
    assert message.to == (to,)
    assert message.subject == subject
    assert message.text == text


# --------------------------------------------------------------------------- kinds


@pytest.mark.parametrize(
    ("name", "method"), [("calendar_request_outlook.eml", "REQUEST"), ("calendar_reply_google.eml", "REPLY")]
)
def test_invitations_and_their_answers_are_calendar_messages(name, method):
    message = parsed(name)
    assert message.kind == "calendar"
    assert message.calendar_method == method
    assert message.text in ("Let us plan the delivery of the chairs.", "Anna Petrova has accepted this invitation.")


def test_a_calendar_file_merely_published_is_an_ordinary_message():
    message = parsed("calendar_publish.eml")
    assert message.kind == "message" and message.calendar_method is None
    assert [file.name for file in message.attachments] == ["fair.ics"]


ORIGINAL = "<interaction-1042.1765173600@crm.ourcompany.example>"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (
            "bounce_postfix.eml",
            "old.address@northwind.example: 550 5.1.1 <old.address@northwind.example>: Recipient address "
            "rejected: User unknown in virtual mailbox table",
        ),
        (
            "bounce_exchange.eml",
            "old.address@northwind.example: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by "
            "SMTP address lookup",
        ),
        (
            "bounce_exim_plain.eml",
            "old.address@northwind.example host mx.northwind.example [203.0.113.5] SMTP error from remote mail "
            "server after RCPT TO:<old.address@northwind.example>: 550 5.1.1 User unknown",
        ),
        ("bounce_gmail_nonstandard.eml", "550 5.1.1 The email account that you tried to reach does not exist."),
    ],
)
def test_bounces_name_the_original_message_and_the_reason(name, reason):
    message = parsed(name)
    assert message.kind == "bounce"
    assert message.bounced_message_id == ORIGINAL
    assert message.bounce_reason == reason
    assert message.bounced_recipients == ("old.address@northwind.example",)
    assert message.message_id != ORIGINAL  # the bounce's own Message-ID stays its own


def test_a_delay_notice_and_a_read_receipt_are_no_bounces():
    delayed = parsed("dsn_delayed.eml")
    receipt = parsed("read_receipt.eml")
    assert (delayed.kind, delayed.bounced_message_id) == ("auto_reply", None)
    assert (receipt.kind, receipt.bounced_message_id) == ("auto_reply", None)


@pytest.mark.parametrize("name", ["auto_reply_rfc3834.eml", "auto_reply_exchange.eml", "auto_reply_russian.eml"])
def test_automatic_replies_are_recognised(name):
    assert parsed(name).kind == "auto_reply"


def test_a_russian_auto_reply_keeps_its_subject_and_idna_sender():
    message = parsed("auto_reply_russian.eml")
    assert message.subject == "Автоответ: Re: Заказ"
    assert message.sender.email == "ivan@пример.рф"


@pytest.mark.parametrize("name", ["out_of_office_written_by_a_person.eml", "auto_submitted_no.eml"])
def test_a_person_writing_out_of_office_is_no_auto_reply(name):
    assert parsed(name).kind == "message"


# --------------------------------------------------------------------------- the corpus itself


def generated_corpus() -> dict[str, bytes]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("mail_corpus_generate", CORPUS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CORPUS


def test_the_committed_corpus_is_what_its_generator_writes():
    generated = generated_corpus()
    assert sorted(generated) == sorted(path.name for path in CORPUS.glob("*.eml"))
    for name, data in generated.items():
        assert corpus(name) == data, f"{name} differs from generate.py: run it again"


# --------------------------------------------------------------------------- size


def message_with_attachment(size: int) -> bytes:
    """A message with a text, an HTML alternative and an attachment of `size` bytes (base64,
    as mail programs send it), made in memory: a 30 MB file has no place in the repository."""
    import base64
    import random

    data = random.Random(16).randbytes(size)
    encoded = base64.encodebytes(data)  # 76-character lines
    head = (
        "From: Anna Petrova <anna@northwind.example>\r\n"
        "To: sales@ourcompany.example\r\n"
        "Subject: =?utf-8?B?0KfQtdGA0YLQtdC20Lgg0L7RhNC40YHQsA==?=\r\n"
        "Date: Wed, 09 Dec 2026 10:00:00 +0300\r\n"
        "Message-ID: <big-attachment@northwind.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="big"\r\n\r\n'
        "--big\r\n"
        'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        "--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Чертежи офиса во вложении.\r\nDrawings of the office attached.\r\n"
        "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Чертежи офиса во вложении.</p>\r\n"
        "--alt--\r\n"
        "--big\r\n"
        'Content-Type: application/octet-stream; name="=?utf-8?B?0KfQtdGA0YLQtdC20LguZHdn?="\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="=?utf-8?B?0KfQtdGA0YLQtdC20LguZHdn?="\r\n\r\n'
    ).encode()
    return head + encoded.replace(b"\n", b"\r\n") + b"--big--\r\n"


def test_a_30_mb_attachment_is_left_out_of_the_eml_which_stays_valid_with_headers_and_text():
    raw = message_with_attachment(30 * 1024 * 1024)
    limit = 10 * 1024 * 1024

    message = parse_message(raw, attachment_limit=limit)

    assert message.size == len(raw) > 40 * 1024 * 1024
    assert message.truncated
    assert message.text == "Чертежи офиса во вложении.\nDrawings of the office attached."
    assert [(file.name, file.size) for file in message.attachments] == [("Чертежи.dwg", 30 * 1024 * 1024)]
    assert len(message.eml) < 4096
    assert b"X-Interactions-Truncated: original size" in message.eml
    again = parse_message(message.eml, attachment_limit=limit)
    assert not again.truncated
    assert (again.message_id, again.subject, again.sender, again.to, again.date, again.text) == (
        "<big-attachment@northwind.example>",
        "Чертежи офиса",
        message.sender,
        message.to,
        message.date,
        message.text,
    )
    assert again.attachments == ()


def test_a_huge_text_is_cut_so_that_the_eml_fits_the_limit():
    head, _sep, _body = corpus("plain_utf8.eml").partition(b"\r\n\r\n")
    raw = head + b"\r\n\r\n" + ("Строка текста номер такая-то.\r\n" * 40_000).encode()
    message = parse_message(raw, attachment_limit=100_000)
    assert message.truncated
    assert len(message.eml) <= 100_000
    again = parse_message(message.eml, attachment_limit=100_000)
    assert again.message_id == message.message_id
    assert message.text.startswith(again.text[:1000]) and len(again.text) > 10_000


# --------------------------------------------------------------------------- anything at all


@pytest.mark.parametrize(
    "raw",
    [
        bytes(range(256)) * 20,
        b"\xff\xfe" + "From: x\n".encode("utf-16-le"),
        b"From:\r\n\r\n",
        b"Subject: =?utf-8?B?\r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=\r\nFrom: a@b.example\r\n\r\n--\r\n--\r\n",
        b"Message-ID: <" + b"x" * 5000 + b">\r\n\r\nbody",
        b"From: " + b"<" * 10_000 + b"\r\n\r\n",
        b"Date: Mon, 99 Foo 0000 99:99:99 +9999\r\nFrom: a@b.example\r\n\r\n",
        b'From: a@b.example\r\nContent-Type: text/plain; charset="utf-8\x00"\r\n\r\n\x00\x00',
        b"From: a@b.example\r\nContent-Type: message/rfc822\r\n\r\nnot a message",
        b"From: a@b.example\r\nContent-Type: text/plain; charset=idna\r\n\r\n\xff\xfe",
        b"From: a@b.example\r\nContent-Type: text/plain; charset=base64\r\n\r\n\xff\xfe",
        b"From: a@b.example\r\nContent-Type: text/html\r\n\r\n<![CDATA[<<<</p><a href=",
        b"From: a@b.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\n\xff\r\n\r\n--r--",
    ],
)
def test_garbage_is_unreadable_or_read_as_well_as_it_goes_never_an_error(raw):
    try:
        message = parse_message(raw, attachment_limit=1000)
    except UnreadableMessage as unreadable:
        assert unreadable.reason
    else:
        assert message.message_id and message.size == len(raw)
        assert "\x00" not in message.text + message.subject


# --------------------------------------------------------------------------- mutated corpus

from hypothesis import given  # noqa: E402 - the property tests' own imports
from hypothesis import strategies as st  # noqa: E402

CORPUS_NAMES = sorted(path.name for path in CORPUS.glob("*.eml"))


@st.composite
def mutated(draw, *, keep_headers: bool = False) -> tuple[str, bytes]:
    """A corpus message with a few bytes flipped, cut out, inserted or repeated, or cut
    short; with `keep_headers`, only after its header block."""
    name = draw(st.sampled_from(CORPUS_NAMES))
    data = bytearray(corpus(name))
    start = 0
    if keep_headers:
        start = min(index + len(end) for end in (b"\r\n\r\n", b"\n\n") if (index := data.find(end)) >= 0)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        if len(data) <= start:
            break
        where = draw(st.integers(min_value=start, max_value=len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate", "interesting"]))
        if action == "flip":
            data[where] = draw(st.integers(min_value=0, max_value=255))
        elif action == "cut":
            del data[where : where + draw(st.integers(min_value=1, max_value=200))]
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=50))
        elif action == "repeat":
            data[where:where] = data[where : where + draw(st.integers(min_value=1, max_value=300))]
        elif action == "truncate":
            del data[where:]
        else:
            data[where:where] = draw(
                st.sampled_from(
                    [b"\r\n", b"\n\n", b"--", b"=?utf-8?B?", b"?=", b"=", b"<", b">", b"\x00", b";", b'"', b"\\",
                     b"\r\n--b1--\r\n", b"\r\nContent-Type: multipart/mixed; boundary=x\r\n", b"\xd0", b"\xff"]
                )
            )  # fmt: skip
    return name, bytes(data)


def assert_well_formed(message) -> None:
    """What the capture stores must fit any database and follow the interface."""
    assert (
        message.message_id.startswith("<")
        and message.message_id.endswith(">")
        or (message.message_id.startswith("hash:") and message.message_id_was_missing)
    )
    assert message.kind in ("message", "bounce", "auto_reply", "calendar")
    texts = [message.subject, message.text, message.bounce_reason or "", message.bounced_message_id or ""]
    texts += [address.name for address in message.addresses()]
    texts += [file.name for file in message.attachments]
    for text in texts:
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates
    assert "\n" not in message.subject
    for address in message.addresses():
        assert normalize_email(address.email) == address.email
    assert message.date is None or message.date.tzinfo is not None
    assert isinstance(message.eml, bytes)


@given(case=mutated(), limit=st.integers(min_value=200, max_value=20_000))
def test_a_mutated_message_is_parsed_or_unreadable_never_an_error(case, limit):
    _name, raw = case
    try:
        message = parse_message(raw, attachment_limit=limit)
    except UnreadableMessage as unreadable:
        assert unreadable.reason
        return
    assert_well_formed(message)
    assert message.size == len(raw)
    assert message.truncated == (len(raw) > limit)
    if message.truncated:
        again = parse_message(message.eml, attachment_limit=len(message.eml))
        assert_well_formed(again)
    else:
        assert message.eml == raw


@given(case=mutated(keep_headers=True))
def test_a_message_damaged_after_its_headers_keeps_its_identity(case):
    name, raw = case
    original = parsed(name)
    message = parse_message(raw, attachment_limit=LIMIT)
    assert_well_formed(message)
    assert message.subject == original.subject
    assert message.sender == original.sender and message.to == original.to and message.cc == original.cc
    assert message.date == original.date
    if not original.message_id_was_missing:
        assert message.message_id == original.message_id


def test_an_empty_line_before_the_headers_or_an_mbox_from_line_does_not_hide_them():
    raw = corpus("plain_utf8.eml")
    for variant in (b"\r\n" + raw, b"From anna@northwind.example Mon Nov 30 09:12:01 2026\r\n" + raw):
        message = parse_message(variant, attachment_limit=LIMIT)
        assert message.message_id == "<20261130091158.4f2a@northwind.example>"
        assert message.eml == variant


def test_a_message_over_the_limit_with_empty_lines_before_its_headers_keeps_them_in_its_eml():
    # Found by the mutated-corpus property: the shortened .eml took the empty header block
    # before the first empty line, and the stored message had no From, Subject or Message-ID.
    raw = b"\n\n" + corpus("attachments_cyrillic_names.eml")
    message = parse_message(raw, attachment_limit=200)
    assert message.truncated
    again = parse_message(message.eml, attachment_limit=len(message.eml))
    assert again.message_id == message.message_id == "<attachments.1@northwind.example>"
    assert again.subject == message.subject and again.sender == message.sender


def test_utf8_declared_as_windows_1251_is_read_as_utf8_and_flowed_lines_are_joined():
    message = parsed("flowed_utf8_declared_windows_1251.eml")
    assert message.text == (
        "Добрый день! Это длинный абзац, который почтовая программа разбила на строки при отправке, "
        "а получатель должен увидеть одной строкой.\n\n"
        "> Цитата, тоже разбитая на две строки.\n\n"
        "--\nАнна"
    )


def test_a_large_base64_text_is_read_whole_while_a_large_attachment_is_only_measured():
    import base64
    import random

    text = "Большой отчёт, строка за строкой.\n" * 60_000  # 2.6 MB of UTF-8
    attachment = random.Random(7).randbytes(2 * 1024 * 1024 + 1)
    raw = (
        b"From: anna@northwind.example\r\nTo: sales@ourcompany.example\r\nSubject: Report\r\n"
        b"Message-ID: <report@northwind.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="r"\r\n\r\n'
        b'--r\r\nContent-Type: application/zip; name="data.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(attachment).replace(b"\n", b"\r\n")
        + b"--r\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")
        + b"--r--\r\n"
    )

    message = parse_message(raw, attachment_limit=len(raw))

    assert not message.truncated and message.eml == raw
    assert message.text == text.strip()
    assert [(file.name, file.size) for file in message.attachments] == [("data.zip", len(attachment))]


def test_an_overlong_message_id_is_not_taken_and_the_message_gets_a_hash():
    raw = corpus("plain_utf8.eml").replace(
        b"<20261130091158.4f2a@northwind.example>", b"<" + b"x" * 300 + b"@northwind.example>"
    )
    message = parse_message(raw, attachment_limit=LIMIT)
    assert message.message_id_was_missing and message.message_id.startswith("hash:")


def test_addresses_are_listed_once_with_the_first_name_given():
    raw = corpus("plain_utf8.eml").replace(
        b'Cc: "Boris Ivanov" <boris@northwind.example>',
        b'Cc: "Boris Ivanov" <boris@northwind.example>, ANNA.PETROVA@northwind.example, sales@OURCOMPANY.example',
    )
    message = parse_message(raw, attachment_limit=LIMIT)
    assert len(message.cc) == 3
    assert message.addresses() == (
        Address(name="Anna Petrova", email="anna.petrova@northwind.example"),
        Address(name="Sales", email="sales@ourcompany.example"),
        Address(name="Boris Ivanov", email="boris@northwind.example"),
    )


_LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-_", min_size=1, max_size=20)
_LABEL = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщъыьэюяäöüßçé0123456789-", min_size=1, max_size=12
)


@given(
    value=st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda local, labels: f"{local}@{'.'.join(labels)}", _LOCAL, st.lists(_LABEL, min_size=2, max_size=3)
        ),
    )
)
def test_normalizing_an_address_is_stable_and_its_two_spellings_agree(value):
    normalized = normalize_email(value)
    if normalized is None:
        return
    assert normalize_email(normalized) == normalized
    assert normalized == normalized.lower()
    ascii_spelling = Address(name="", email=normalized).ascii_email
    assert ascii_spelling.rpartition("@")[2].isascii()
    assert normalize_email(ascii_spelling) == normalized
    assert normalize_email(value.upper()) in (normalized, None)


def test_an_invitation_with_nothing_but_its_calendar_gets_its_text_from_the_event():
    message = parsed("calendar_only_request.eml")
    assert (message.kind, message.calendar_method) == ("calendar", "REQUEST")
    assert message.subject == "Переговоры о поставке"
    assert message.text == (
        "Переговоры о поставке, второй этап\n"
        "2026-12-10 13:00 (Russian Standard Time) – 2026-12-10 14:00 (Russian Standard Time)\n"
        "Москва, ул. Тверская 1\n\n"
        "Обсудим сроки поставки.\nВозьмите образцы."
    )


# --------------------------------------------------------------------------- header-only parse


def outcome(raw: bytes, *, limit: int, whole: bool):
    """Everything parse_message gives, as plain values (the text and files included), or
    the code of its UnreadableMessage."""
    try:
        message = parse_message(raw, attachment_limit=limit, whole=whole)
    except UnreadableMessage as unreadable:
        return ("unreadable", unreadable.code)
    values = {field: getattr(message, field) for field in CAPTURED_FIELDS}
    return values | {"text": message.text, "attachments": message.attachments, "addresses": message.addresses()}


CAPTURED_FIELDS = [
    "message_id",
    "message_id_was_missing",
    "in_reply_to",
    "references",
    "subject",
    "sender",
    "to",
    "cc",
    "date",
    "kind",
    "bounced_message_id",
    "bounce_reason",
    "size",
    "eml",
    "truncated",
    "calendar_method",
    "bounced_recipients",
]


@pytest.mark.parametrize("name", CORPUS_NAMES)
@pytest.mark.parametrize("limit", [LIMIT, 2000])
def test_reading_a_message_by_its_headers_gives_what_the_whole_parse_gives(name, limit):
    raw = corpus(name)
    assert outcome(raw, limit=limit, whole=False) == outcome(raw, limit=limit, whole=True)


def test_ordinary_messages_are_read_by_their_headers_and_their_text_only_when_asked():
    for name in ("plain_utf8.eml", "reply_with_thread.eml", "attachments_cyrillic_names.eml", "auto_reply_rfc3834.eml"):
        message = parse_message(corpus(name), attachment_limit=LIMIT)
        assert "body" not in message.__dict__, name  # the body not read yet
        assert message.text == parse_message(corpus(name), attachment_limit=LIMIT, whole=True).text
    for name in ("no_message_id.eml", "bounce_postfix.eml", "calendar_request_outlook.eml", "read_receipt.eml"):
        message = parse_message(corpus(name), attachment_limit=LIMIT)
        assert "body" in message.__dict__ or not callable(message.body_source), name  # parsed whole


@given(case=mutated(), limit=st.integers(min_value=200, max_value=20_000))
def test_a_mutated_message_read_by_its_headers_gives_what_the_whole_parse_gives(case, limit):
    _name, raw = case
    assert outcome(raw, limit=limit, whole=False) == outcome(raw, limit=limit, whole=True)


@given(
    head=st.lists(
        st.sampled_from(
            [b"From: a@b.example", b"Message-ID: <x@b.example>", b"To: c@d.example", b" folded", b"\tfolded",
             b"From x@y Mon", b"Subject: =?utf-8?B?0J/RgNC40LLQtdGC?=", b": no name", b"X-\xd0\x9f: 8bit",
             b"no colon", b"Content-Type: text/calendar; method=REQUEST", b"Auto-Submitted: auto-replied",
             b"Content-Type: multipart/report; report-type=delivery-status", b"Date: Tue, 1 Dec 2026 10:00:00 +0300"]
        ),
        max_size=12,
    ),
    newlines=st.lists(st.sampled_from([b"\r\n", b"\n", b"\r"]), min_size=13, max_size=13),
    body=st.sampled_from([b"", b"Hello\r\n", b"\r\nHello\r\n", b"METHOD:REQUEST\r\n", b"\rx\n"]),
)  # fmt: skip
def test_header_blocks_of_any_shape_are_read_by_their_headers_as_by_the_whole_parse(head, newlines, body):
    raw = b"".join(line + newline for line, newline in zip(head, newlines, strict=False)) + newlines[-1] + body
    assert outcome(raw, limit=LIMIT, whole=False) == outcome(raw, limit=LIMIT, whole=True)
