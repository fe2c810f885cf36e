"""Writes the corpus of messages that tests/test_mail_parsing.py reads: real-looking
messages as mail programs and servers send them, ordinary and hostile. The .eml files are
committed (each a few kilobytes); run this to regenerate them after changing a message here:

    .venv/bin/python interactions/tests/mail_corpus/generate.py

Each message is written byte for byte: 8-bit headers, KOI8-R and Windows-1251 bodies and
broken MIME must reach the parser exactly as a server would hand them over.
"""

import base64
import pathlib
import quopri

HERE = pathlib.Path(__file__).resolve().parent
CORPUS: dict[str, bytes] = {}


def message(name: str, text: str, *, encoding: str = "utf-8", newline: str = "\r\n") -> None:
    """A message given as text; lines joined with CRLF as on the wire."""
    lines = text.strip("\n").split("\n")
    CORPUS[name] = newline.join(lines).encode(encoding) + newline.encode()


def raw(name: str, data: bytes) -> None:
    CORPUS[name] = data


def b64(data: bytes | str, encoding: str = "utf-8") -> str:
    if isinstance(data, str):
        data = data.encode(encoding)
    encoded = base64.b64encode(data).decode()
    return "\n".join(encoded[index : index + 76] for index in range(0, len(encoded), 76))


def qp(text: str, encoding: str = "utf-8") -> str:
    return quopri.encodestring(text.encode(encoding)).decode("ascii")


# --------------------------------------------------------------------------- ordinary

message(
    "plain_utf8.eml",
    """
Return-Path: <anna.petrova@northwind.example>
Received: from mx.northwind.example (mx.northwind.example [203.0.113.5])
	by mail.ourcompany.example with ESMTPS id 4Xyz; Mon, 30 Nov 2026 09:12:01 +0300
From: Anna Petrova <Anna.Petrova@Northwind.Example>
To: Sales <sales@ourcompany.example>
Cc: "Boris Ivanov" <boris@northwind.example>
Subject: Quotation for 40 office chairs
Date: Mon, 30 Nov 2026 09:11:58 +0300
Message-ID: <20261130091158.4f2a@northwind.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8; format=flowed
Content-Transfer-Encoding: 8bit
User-Agent: Mozilla Thunderbird

Good morning,

could you send us your quotation for 40 office chairs (model Ergo 200),
delivered to Moscow before 15 December? Цена с доставкой, пожалуйста.

Best regards,
Anna Petrova
Purchasing, Northwind
""",
)

message(
    "reply_with_thread.eml",
    """
From: Boris Ivanov <boris@northwind.example>
To: Sergey Smirnov <s.smirnov@ourcompany.example>
Subject: Re: Quotation QU-1042
Date: Tue, 01 Dec 2026 14:03:27 +0100
Message-ID: <CAK7xq=Fz0b1@mail.northwind.example>
In-Reply-To: <interaction-1042.1764540000@crm.ourcompany.example>
References: <interaction-1041.1764500000@crm.ourcompany.example>
 <interaction-1042.1764540000@crm.ourcompany.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="000000000000a1b2c3"

--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Thank you, Sergey. We accept the quotation; the order follows tomorrow.

> Please find our quotation attached.
--000000000000a1b2c3
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Thank you, Sergey. We accept the quotation; the order follo=
ws tomorrow.</div>
--000000000000a1b2c3--
""",
)

message(
    "html_only.eml",
    """
From: "Northwind Newsletter" <news@northwind.example>
To: sales@ourcompany.example
Subject: Our new catalogue
Date: Wed, 02 Dec 2026 08:00:00 +0000
Message-ID: <news.2026-12@northwind.example>
MIME-Version: 1.0
Content-Type: text/html; charset=windows-1251
Content-Transfer-Encoding: quoted-printable

<html><head><title>Catalogue</title><style>p {color: red}</style></head>
<body><h1>New catalogue</h1><p>Dear partner,</p><p>see the <a href=3D"https://northwind.example/cat">catalogue</a>
&amp; prices.</p><ul><li>Chairs</li><li>Desks</li></ul><script>alert(1)</script>
<p>=D1 =F3=E2=E0=E6=E5=ED=E8=E5=EC</p></body></html>
""",
)

message(
    "encoded_word_names.eml",
    """
From: =?UTF-8?B?0JDQvdC90LAg0J/QtdGC0YDQvtCy0LA=?= <anna@northwind.example>
To: =?koi8-r?Q?=F3=C5=D2=C7=C5=CA_=F3=CD=C9=D2=CE=CF=D7?= <s.smirnov@ourcompany.example>,
 =?windows-1251?B?yOLg7SDP5fLw7uI=?= <ivan@xn--e1afmkfd.xn--p1ai>
Subject: =?UTF-8?B?0KHRh9GR0YIg4oSWIDE=?=
 =?UTF-8?B?MDQyINC90LAg0L7Qv9C70LDRgtGD?=
Date: Thu, 03 Dec 2026 10:00:00 +0300
Message-ID: <names@northwind.example>
Content-Type: text/plain; charset=utf-8

Счёт во вложении.
""",
)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
CONTRACT_TEXT = b64("Добрый день!\n\nДоговор и счёт во вложении.\n\nАнна")
PDF_BASE64 = b64(PDF)

message(
    "attachments_cyrillic_names.eml",
    f"""
From: Anna Petrova <anna@northwind.example>
To: sales@ourcompany.example
Subject: =?UTF-8?B?0JTQvtCz0L7QstC+0YAg0Lgg0YHRh9GR0YI=?=
Date: Fri, 04 Dec 2026 16:20:00 +0300
Message-ID: <attachments.1@northwind.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_Part_77_1"

------=_Part_77_1
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

{CONTRACT_TEXT}
------=_Part_77_1
Content-Type: application/pdf; name="=?UTF-8?B?0JTQvtCz0L7QstC+0YAucGRm?="
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="=?UTF-8?B?0JTQvtCz0L7QstC+0YAucGRm?="

{PDF_BASE64}
------=_Part_77_1
Content-Type: application/pdf
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
 filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82%20%E2%84%96%201042.pdf

{PDF_BASE64}
------=_Part_77_1
Content-Type: text/plain; charset=windows-1251
Content-Disposition: attachment; filename="\u041f\u0440\u0430\u0439\u0441.txt"
Content-Transfer-Encoding: 8bit

Прайс-лист: стулья, столы.
------=_Part_77_1--
""",
    encoding="cp1251",
)

# --------------------------------------------------------------------------- broken MIME

message(
    "broken_boundary.eml",
    """
From: Boris Ivanov <boris@northwind.example>
To: sales@ourcompany.example
Subject: Broken boundary
Date: Sat, 05 Dec 2026 11:00:00 +0300
Message-ID: <broken-boundary@northwind.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="declared-boundary"

--other-boundary
Content-Type: text/plain; charset=utf-8

The parts use a boundary that the header does not declare.
--other-boundary
Content-Type: application/octet-stream; name="x.bin"
Content-Transfer-Encoding: base64

AAECAwQF
--other-boundary--
""",
)

message(
    "unclosed_multipart.eml",
    """
From: Boris Ivanov <boris@northwind.example>
To: sales@ourcompany.example
Subject: Truncated in transit
Date: Sat, 05 Dec 2026 11:05:00 +0300
Message-ID: <truncated@northwind.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

The text part is whole; the attachment below was cut off by a mail server=
 that gave up.
--b1
Content-Type: application/pdf; name="offer.pdf"
Content-Disposition: attachment; filename="offer.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZURlY29k
ZT4+CnN0cmVhbQp4nCvkMlAwUDC1NNUzMVGwMDHUszRSKErlCtfiyuMK5AIAXQ8GCgplbmRzdHJl
YW0KZW5kb2JqCjYgMCBvYmoKMzgKZW5kb2JqCjQgMCBvYmoKPDwvVHlwZS9QYWdlL01lZGlhQm94
IFswIDAgNTk1IDg0Ml0vUm90YXRlIDAvUGFyZW50IDMgMCBSL1Jlc291cmNlczw8L1By
""",
)

message(
    "no_content_type_header_body.eml",
    """
From: someone@northwind.example
Subject: headers then garbage
Content-Type: multipart/alternative
Content-Transfer-Encoding: base64

!!!! this is not base64 and the multipart has no boundary !!!!
""",
)

message(
    "bad_transfer_encodings.eml",
    """
From: Boris Ivanov <boris@northwind.example>
To: sales@ourcompany.example
Subject: =?utf-8?B?!!notbase64?= and =?x-nonexistent?Q?caf=E9?= =?utf-8?Q?=D0=9F=D1=80?=
 =?utf-8?Q?=D0=B8=D0=B2=D0?= =?utf-8?Q?=B5=D1=82?=
Date: Sat, 05 Dec 2026 11:10:00 +0300
Message-ID: <bad-encodings@northwind.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="x-does-not-exist"
Content-Transfer-Encoding: x-uuencode-or-whatever

Body in an unknown transfer encoding and an unknown charset: kept as it is.
""",
)

# --------------------------------------------------------------------------- Message-ID

message(
    "no_message_id.eml",
    """
From: Anna Petrova <anna@northwind.example>
To: sales@ourcompany.example
Subject: Sent by an old scanner
Date: Sun, 06 Dec 2026 09:00:00 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

The scanned delivery note, without a Message-ID.
""",
)

message(
    "no_message_id_refolded.eml",
    """
From: Anna Petrova
 <ANNA@northwind.example>
To: Sales <sales@ourcompany.example>
Subject: Sent by an old
 scanner
Date: Sun, 6 Dec 2026 09:00:00 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

VGhlIHNjYW5uZWQgZGVsaXZlcnkgbm90ZSwgd2l0aG91dCBhIE1lc3NhZ2UtSUQu
""",
)

message(
    "empty_message_id.eml",
    """
From: Anna Petrova <anna@northwind.example>
To: sales@ourcompany.example
Subject: Empty Message-ID
Date: Sun, 06 Dec 2026 09:30:00 +0300
Message-ID:
Message-ID: <>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

The Message-ID headers are there but empty.
""",
)

message(
    "duplicate_message_id.eml",
    """
From: Anna Petrova <anna@northwind.example>
To: sales@ourcompany.example
Subject: Two Message-IDs
Date: Sun, 06 Dec 2026 10:00:00 +0300
Message-ID: not a valid id with spaces
Message-ID: <first-valid@northwind.example>
Message-ID: <second-valid@northwind.example>
In-Reply-To: Your message of Friday <interaction-77@crm.ourcompany.example>
References: <a@x.example> <interaction-77@crm.ourcompany.example> (comment) <a@x.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

A list server added a second Message-ID.
""",
)

message(
    "bare_message_id.eml",
    """
From: Anna Petrova <anna@northwind.example>
To: sales@ourcompany.example
Subject: Message-ID without angle brackets
Date: Sun, 06 Dec 2026 10:30:00 +0300
Message-ID:   bare-id.12345@legacy.northwind.example
In-Reply-To: interaction-78@crm.ourcompany.example
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Some legacy mailers forget the brackets.
""",
)

# --------------------------------------------------------------------------- charsets

raw(
    "raw_8bit_headers_utf8.eml",
    "\r\n".join(
        [
            "From: Иван Петров <ivan@пример.рф>",
            "To: Отдел продаж <sales@ourcompany.example>",
            "Subject: Заказ №17 — срочно",
            "Date: Mon, 07 Dec 2026 08:00:00 +0300",
            "Message-ID: <8bit-utf8@xn--e1afmkfd.xn--p1ai>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "Прошу подтвердить заказ №17.",
            "",
        ]
    ).encode("utf-8"),
)

raw(
    "raw_8bit_headers_cp1251.eml",
    "\r\n".join(
        [
            "From: Иван Петров <ivan@northwind.example>",
            "To: Отдел продаж <sales@ourcompany.example>",
            "Subject: Счёт на оплату, договор поставки",
            "Date: Mon, 07 Dec 2026 08:10:00 +0300",
            "Message-ID: <8bit-cp1251@northwind.example>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=windows-1251",
            "Content-Transfer-Encoding: 8bit",
            "",
            "Добрый день! Направляю счёт и договор поставки.",
            "",
        ]
    ).encode("cp1251"),
)

raw(
    "raw_8bit_headers_koi8r_undeclared.eml",
    "\r\n".join(
        [
            "From: Сергей Кузнецов <kuznetsov@northwind.example>",
            "To: sales@ourcompany.example",
            "Subject: Предложение о сотрудничестве",
            "Date: Mon, 07 Dec 2026 08:20:00 +0300",
            "Message-ID: <8bit-koi8@northwind.example>",
            "",
            "Здравствуйте! Предлагаем обсудить условия поставки оборудования.",
            "",
        ]
    ).encode("koi8-r"),
)

message(
    "koi8r_body.eml",
    """
From: =?koi8-r?B?88XSx8XKIOvV2s7Fw8/X?= <kuznetsov@northwind.example>
To: sales@ourcompany.example
Subject: =?KOI8-R?Q?=F0=D2=C5=C4=CC=CF=D6=C5=CE=C9=C5?=
Date: Mon, 07 Dec 2026 08:30:00 +0300
Message-ID: <koi8-body@northwind.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="koi8-r"
Content-Transfer-Encoding: 8bit

Здравствуйте! Высылаем коммерческое предложение на поставку стульев.
""",
    encoding="koi8-r",
)

message(
    "cp1251_body_undeclared.eml",
    """
From: Petr Sidorov <sidorov@northwind.example>
To: sales@ourcompany.example
Subject: =?windows-1251?B?z/Du8fzh4A==?=
Date: Mon, 07 Dec 2026 08:40:00 +0300
Message-ID: <cp1251-undeclared@northwind.example>
MIME-Version: 1.0
Content-Type: text/plain
Content-Transfer-Encoding: 8bit

Просьба выставить счёт на 40 стульев «Эрго 200» — срочно.
""",
    encoding="cp1251",
)

message(
    "cp1251_body_mislabelled_ascii.eml",
    """
From: Petr Sidorov <sidorov@northwind.example>
To: sales@ourcompany.example
Subject: Mislabelled
Date: Mon, 07 Dec 2026 08:45:00 +0300
Message-ID: <cp1251-ascii@northwind.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 8bit

Спасибо, получили.
""",
    encoding="cp1251",
)

KOI8_HTML = b64(
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r"></head>'
    "<body><p>Цены на 2027 год</p></body></html>",
    "koi8-r",
)
message(
    "koi8r_base64_html.eml",
    f"""
From: kuznetsov@northwind.example
To: sales@ourcompany.example
Subject: HTML in KOI8-R
Date: Mon, 07 Dec 2026 08:50:00 +0300
Message-ID: <koi8-html@northwind.example>
MIME-Version: 1.0
Content-Type: text/html
Content-Transfer-Encoding: base64

{KOI8_HTML}
""",
)

message(
    "nul_and_controls.eml",
    "From: Anna\x00 Petrova <anna@northwind.example>\nTo: sales@ourcompany.example\n"
    "Subject: Nul\x00 in the\x07 subject\nDate: Mon, 07 Dec 2026 09:00:00 +0300\n"
    "Message-ID: <nul@northwind.example>\nContent-Type: text/plain; charset=utf-8\n\n"
    "A body with a NUL\x00 byte and a bell\x07 and a form feed\x0c.\n",
)

message(
    "long_header_line.eml",
    "From: Anna Petrova <anna@northwind.example>\n"
    "To: " + ", ".join(f"Recipient {n} <r{n}@northwind.example>" for n in range(300)) + "\n"
    "Subject: " + "very long subject " * 200 + "\n"
    "Date: Mon, 07 Dec 2026 09:10:00 +0300\nMessage-ID: <long@northwind.example>\n\nshort body\n",
)

message(
    "bad_dates.eml",
    """
From: Anna Petrova <anna@northwind.example>
To: sales@ourcompany.example
Subject: Dated nonsense
Date: Someday in the 32nd of Foo, 99999 25:61:61 +9999
Message-ID: <bad-date@northwind.example>

The date cannot be read.
""",
)

message(
    "undisclosed_recipients.eml",
    """
From: Anna Petrova <anna@northwind.example>
To: undisclosed-recipients:;
Cc: "Group": a@northwind.example, "Broken <b@", c@@northwind.example;
Subject: To nobody in particular
Date: Mon, 07 Dec 2026 09:20:00 -0800
Message-ID: <undisclosed@northwind.example>

Sent with the recipients in Bcc.
""",
)

# --------------------------------------------------------------------------- nested multipart

FORWARDED = """From: Someone Else <else@contoso.example>
To: anna@northwind.example
Subject: The forwarded original
Date: Fri, 04 Dec 2026 10:00:00 +0100
Message-ID: <forwarded-original@contoso.example>
Content-Type: text/plain; charset=utf-8

This text belongs to the forwarded message, not to the one that carries it."""

message(
    "nested_multipart.eml",
    f"""
From: Anna Petrova <anna@northwind.example>
To: sales@ourcompany.example
Subject: Fwd: The forwarded original
Date: Tue, 08 Dec 2026 12:00:00 +0300
Message-ID: <nested@northwind.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/related; boundary="related"; type="multipart/alternative"

--related
Content-Type: multipart/alternative; boundary="alternative"

--alternative
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Please see the message below. =E2=80=94 Anna
--alternative
Content-Type: text/html; charset=utf-8

<p>Please see the message below. &mdash; Anna</p><img src="cid:logo">
--alternative--

--related
Content-Type: image/png; name="logo.png"
Content-ID: <logo>
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==
--related--

--outer
Content-Type: message/rfc822
Content-Disposition: attachment; filename="original.eml"

{FORWARDED}
--outer--
""",
)

DEEP = (
    "".join(f'--d{level}\nContent-Type: multipart/mixed; boundary="d{level + 1}"\n\n' for level in range(60))
    + "--d60\nContent-Type: text/plain\n\nDeep inside.\n--d60--\n"
)
message(
    "deeply_nested.eml",
    "From: anna@northwind.example\nTo: sales@ourcompany.example\nSubject: Deep\n"
    "Message-ID: <deep@northwind.example>\nMIME-Version: 1.0\n"
    'Content-Type: multipart/mixed; boundary="d0"\n\n' + DEEP,
)

# --------------------------------------------------------------------------- calendar

message(
    "calendar_request_outlook.eml",
    """
From: Sergey Smirnov <s.smirnov@ourcompany.example>
To: Anna Petrova <anna@northwind.example>
Subject: Delivery planning
Date: Tue, 08 Dec 2026 15:00:00 +0300
Message-ID: <calendar-request@ourcompany.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="_000_cal_"

--_000_cal_
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

Let us plan the delivery of the chairs.
--_000_cal_
Content-Type: text/calendar; charset="utf-8"; method=REQUEST
Content-Transfer-Encoding: base64

QkVHSU46VkNBTEVOREFSCk1FVEhPRDpSRVFVRVNUClBST0RJRDpNaWNyb3NvZnQgRXhjaGFuZ2Ug
U2VydmVyIDIwMTAKVkVSU0lPTjoyLjAKQkVHSU46VkVWRU5UClNVTU1BUlk6RGVsaXZlcnkgcGxh
bm5pbmcKRFRTVEFSVDoyMDI2MTIxMFQxMDAwMDBaCkRURU5EOjIwMjYxMjEwVDExMDAwMFoKVUlE
OmNhbEBvdXJjb21wYW55LmV4YW1wbGUKRU5EOlZFVkVOVApFTkQ6VkNBTEVOREFSCg==
--_000_cal_--
""",
)

message(
    "calendar_reply_google.eml",
    """
From: Anna Petrova <anna@northwind.example>
To: s.smirnov@ourcompany.example
Subject: Accepted: Delivery planning @ Thu 10 Dec 2026 13:00 - 14:00 (MSK)
Date: Tue, 08 Dec 2026 15:30:00 +0300
Message-ID: <calendar-reply@northwind.example>
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mixed"

--mixed
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset="UTF-8"

Anna Petrova has accepted this invitation.
--alt
Content-Type: text/calendar; charset="UTF-8"

BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
METHOD:REPLY
BEGIN:VEVENT
ATTENDEE;PARTSTAT=ACCEPTED:mailto:anna@northwind.example
UID:cal@ourcompany.example
END:VEVENT
END:VCALENDAR
--alt--
--mixed
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"

BEGIN:VCALENDAR
METHOD:REPLY
END:VCALENDAR
--mixed--
""",
)

message(
    "calendar_publish.eml",
    """
From: Events <events@northwind.example>
To: sales@ourcompany.example
Subject: Trade fair dates
Date: Tue, 08 Dec 2026 16:00:00 +0300
Message-ID: <calendar-publish@northwind.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain; charset=utf-8

The dates of our fair, for your calendar.
--m
Content-Type: text/calendar; method=PUBLISH; name="fair.ics"
Content-Disposition: attachment; filename="fair.ics"

BEGIN:VCALENDAR
METHOD:PUBLISH
END:VCALENDAR
--m--
""",
)

# --------------------------------------------------------------------------- bounces

ORIGINAL_HEADERS = """From: Sergey Smirnov <s.smirnov@ourcompany.example>
To: old.address@northwind.example
Subject: Quotation QU-1042
Date: Tue, 08 Dec 2026 09:00:00 +0300
Message-ID: <interaction-1042.1765173600@crm.ourcompany.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8"""

message(
    "bounce_postfix.eml",
    f"""
Return-Path: <>
Received: by mail.ourcompany.example (Postfix) id 4B2C1; Tue,  8 Dec 2026 09:00:05 +0300 (MSK)
Date: Tue,  8 Dec 2026 09:00:05 +0300 (MSK)
From: MAILER-DAEMON@mail.ourcompany.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: s.smirnov@ourcompany.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4B2C1.1765173605/mail.ourcompany.example"
Message-Id: <20261208060005.4B2C1@mail.ourcompany.example>

This is a MIME-encapsulated message.

--4B2C1.1765173605/mail.ourcompany.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.ourcompany.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<old.address@northwind.example>: host mx.northwind.example[203.0.113.5] said:
    550 5.1.1 <old.address@northwind.example>: Recipient address rejected: User
    unknown in virtual mailbox table (in reply to RCPT TO command)

--4B2C1.1765173605/mail.ourcompany.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.ourcompany.example
X-Postfix-Queue-ID: 4B2C1
Arrival-Date: Tue,  8 Dec 2026 09:00:01 +0300 (MSK)

Final-Recipient: rfc822; old.address@northwind.example
Original-Recipient: rfc822;old.address@northwind.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.northwind.example
Diagnostic-Code: smtp; 550 5.1.1 <old.address@northwind.example>: Recipient
    address rejected: User unknown in virtual mailbox table

--4B2C1.1765173605/mail.ourcompany.example
Content-Description: Undelivered Message
Content-Type: message/rfc822

{ORIGINAL_HEADERS}

Please find our quotation QU-1042 attached.

--4B2C1.1765173605/mail.ourcompany.example--
""",
)

message(
    "bounce_exim_plain.eml",
    f"""
Return-path: <>
Envelope-to: s.smirnov@ourcompany.example
From: Mail Delivery System <Mailer-Daemon@relay.ourcompany.example>
To: s.smirnov@ourcompany.example
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1kXyZ-0003Ab-Cd@relay.ourcompany.example>
Date: Tue, 08 Dec 2026 09:01:00 +0300

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  old.address@northwind.example
    host mx.northwind.example [203.0.113.5]
    SMTP error from remote mail server after RCPT TO:<old.address@northwind.example>:
    550 5.1.1 User unknown

------ This is a copy of the message, including all the headers. ------

Return-path: <s.smirnov@ourcompany.example>
{ORIGINAL_HEADERS}

Please find our quotation QU-1042 attached.
""",
)

message(
    "bounce_exchange.eml",
    """
From: Microsoft Outlook <postmaster@northwind.example>
To: <s.smirnov@ourcompany.example>
Subject: =?utf-8?B?0J3QtSDQtNC+0YHRgtCw0LLQu9C10L3Qvjo=?= Quotation QU-1042
Date: Tue, 8 Dec 2026 06:02:00 +0000
Message-ID: <f7a1b2c3-exchange-ndr@northwind.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="_ndr_boundary_"
X-MS-Exchange-Message-Is-Ndr:
Auto-Submitted: auto-replied

--_ndr_boundary_
Content-Type: multipart/alternative; differences=Content-Type;
	boundary="_ndr_alt_"

--_ndr_alt_
Content-Type: text/plain; charset="us-ascii"

Delivery has failed to these recipients or groups:

old.address@northwind.example
The email address you entered couldn't be found.

--_ndr_alt_
Content-Type: text/html; charset="us-ascii"

<html><body><p>Delivery has failed to these recipients or groups:</p></body></html>
--_ndr_alt_--

--_ndr_boundary_
Content-Type: message/delivery-status

Reporting-MTA: dns;EX01.northwind.example
Received-From-MTA: dns;mail.ourcompany.example
Arrival-Date: Tue, 8 Dec 2026 06:01:58 +0000

Original-Recipient: rfc822;old.address@northwind.example
Final-Recipient: rfc822;old.address@northwind.example
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup

--_ndr_boundary_
Content-Type: text/rfc822-headers

Return-Path: <s.smirnov@ourcompany.example>
From: Sergey Smirnov <s.smirnov@ourcompany.example>
To: old.address@northwind.example
Subject: Quotation QU-1042
Message-ID: <interaction-1042.1765173600@crm.ourcompany.example>
Date: Tue, 08 Dec 2026 09:00:00 +0300

--_ndr_boundary_--
""",
)

message(
    "bounce_gmail_nonstandard.eml",
    f"""
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: s.smirnov@ourcompany.example
Subject: Delivery Status Notification (Failure)
Date: Tue, 08 Dec 2026 09:03:00 +0300
Message-ID: <gmail-bounce@mx.google.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="g"

--g
Content-Type: text/plain; charset=UTF-8

Address not found

Your message wasn't delivered to old.address@northwind.example because the address couldn't be found.

The response from the remote server was:
550 5.1.1 The email account that you tried to reach does not exist.
--g
Content-Type: message/rfc822

{ORIGINAL_HEADERS}

Please find our quotation QU-1042 attached.
--g--
""",
)

message(
    "dsn_delayed.eml",
    """
From: MAILER-DAEMON@mail.ourcompany.example (Mail Delivery System)
To: s.smirnov@ourcompany.example
Subject: Delayed Mail (still being retried)
Date: Tue, 08 Dec 2026 13:00:00 +0300
Message-ID: <delayed@mail.ourcompany.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dd"

--dd
Content-Type: text/plain

This is the mail system. Your message has not been delivered yet; it will be retried.

--dd
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.ourcompany.example

Final-Recipient: rfc822; slow@northwind.example
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.northwind.example: Connection timed out

--dd--
""",
)

message(
    "read_receipt.eml",
    """
From: Anna Petrova <anna@northwind.example>
To: s.smirnov@ourcompany.example
Subject: Read: Quotation QU-1042
Date: Tue, 08 Dec 2026 10:00:00 +0300
Message-ID: <mdn@northwind.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification; boundary="r"

--r
Content-Type: text/plain

Your message was read on Tue, 08 Dec 2026 10:00:00 +0300.
--r
Content-Type: message/disposition-notification

Final-Recipient: rfc822;anna@northwind.example
Original-Message-ID: <interaction-1042.1765173600@crm.ourcompany.example>
Disposition: manual-action/MDN-sent-manually; displayed
--r--
""",
)

# --------------------------------------------------------------------------- auto-replies

message(
    "auto_reply_rfc3834.eml",
    """
From: Anna Petrova <anna@northwind.example>
To: s.smirnov@ourcompany.example
Subject: Re: Quotation QU-1042
Date: Tue, 08 Dec 2026 09:05:00 +0300
Message-ID: <vacation.1@northwind.example>
In-Reply-To: <interaction-1042.1765173600@crm.ourcompany.example>
Auto-Submitted: auto-replied (vacation)
Content-Type: text/plain; charset=utf-8

I am on holiday until 14 December.
""",
)

message(
    "auto_reply_exchange.eml",
    """
From: Boris Ivanov <boris@northwind.example>
To: Sergey Smirnov <s.smirnov@ourcompany.example>
Subject: Automatic reply: Quotation QU-1042
Thread-Topic: Quotation QU-1042
Date: Tue, 8 Dec 2026 06:06:00 +0000
Message-ID: <oof.exchange@northwind.example>
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: boris@northwind.example
Content-Type: text/plain; charset="us-ascii"

I am out of the office until Monday.
""",
)

message(
    "auto_reply_russian.eml",
    """
From: =?utf-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan@xn--e1afmkfd.xn--p1ai>
To: s.smirnov@ourcompany.example
Subject: =?utf-8?B?0JDQstGC0L7QvtGC0LLQtdGCOiBSZTog0JfQsNC60LDQtw==?=
Date: Tue, 08 Dec 2026 09:06:00 +0300
Message-ID: <autoreply.ru@xn--e1afmkfd.xn--p1ai>
X-Autoreply: yes
Content-Type: text/plain; charset=utf-8

Я в отпуске до 14 декабря.
""",
)

message(
    "out_of_office_written_by_a_person.eml",
    """
From: Boris Ivanov <boris@northwind.example>
To: s.smirnov@ourcompany.example
Subject: Out of office tomorrow - can we meet today?
Date: Tue, 08 Dec 2026 09:07:00 +0300
Message-ID: <person-ooo@northwind.example>
Content-Type: text/plain; charset=utf-8

I am out of office tomorrow; could we meet today at 4?
""",
)

message(
    "auto_submitted_no.eml",
    """
From: Boris Ivanov <boris@northwind.example>
To: s.smirnov@ourcompany.example
Subject: Ordinary
Date: Tue, 08 Dec 2026 09:08:00 +0300
Message-ID: <auto-no@northwind.example>
Auto-Submitted: no
Content-Type: text/plain; charset=utf-8

Auto-Submitted: no means a person wrote it.
""",
)

message(
    "flowed_utf8_declared_windows_1251.eml",
    """
From: Anna Petrova <anna@northwind.example>
To: sales@ourcompany.example
Subject: Flowed text in UTF-8, declared windows-1251
Date: Wed, 09 Dec 2026 11:00:00 +0300
Message-ID: <flowed@northwind.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=windows-1251; format=flowed; delsp=no
Content-Transfer-Encoding: 8bit

Добрый день! Это длинный абзац, который почтовая программа\x20
разбила на строки при отправке, а получатель должен увидеть\x20
одной строкой.

> Цитата, тоже разбитая\x20
> на две строки.

--\x20
Анна
""",
)

message(
    "calendar_only_request.eml",
    """
From: Sergey Smirnov <s.smirnov@ourcompany.example>
To: Anna Petrova <anna@northwind.example>
Subject: =?utf-8?B?0J/QtdGA0LXQs9C+0LLQvtGA0Ysg0L4g0L/QvtGB0YLQsNCy0LrQtQ==?=
Date: Tue, 08 Dec 2026 17:00:00 +0300
Message-ID: <calendar-only@ourcompany.example>
MIME-Version: 1.0
Content-Type: text/calendar; charset="utf-8"; method=REQUEST
Content-Transfer-Encoding: 8bit

BEGIN:VCALENDAR
METHOD:REQUEST
PRODID:Microsoft Exchange Server 2016
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Russian Standard Time
END:VTIMEZONE
BEGIN:VEVENT
ORGANIZER;CN=Sergey Smirnov:mailto:s.smirnov@ourcompany.example
SUMMARY;LANGUAGE=ru-RU:Переговоры о поставке\\, второй этап
DTSTART;TZID=Russian Standard Time:20261210T130000
DTEND;TZID=Russian Standard Time:20261210T140000
LOCATION:Москва\\, ул. Тверская 1
DESCRIPTION:Обсудим сроки поставки.\\nВозьмите\x20
 образцы.
UID:calendar-only@ourcompany.example
END:VEVENT
END:VCALENDAR
""",
)


def write() -> None:
    for name, data in sorted(CORPUS.items()):
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    write()
