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


def write() -> None:
    for name, data in sorted(CORPUS.items()):
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    write()
