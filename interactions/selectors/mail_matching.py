"""Matching of captured e-mail addresses to the host's contacts and salespeople.

Invariants:
- An address matches a contact when both are the same address in normal form
  (interactions.selectors.email_addresses.normalize_email): case does not matter, and an
  IDNA domain matches in its Unicode and its "xn--" spelling alike, however it was stored.
- The database is asked by `UPPER(email) IN (...)`, the expression crm.contacts indexes
  (contact_email_upper_idx), with every spelling a stored e-mail equal to the address may
  have: Unicode and ASCII domain, and, because SQLite (and PostgreSQL in the C locale) fold
  only ASCII letters, Unicode domains in small, capital and title letters too. What comes
  back is compared again in normal form in Python, so a spelling never matches wrongly.
- With company domains on, an address that matches no contact matches the companies whose
  e-mail, or whose persons' e-mail, has its domain; never by a free-mail domain
  (INTERACTIONS_MAIL_FREE_DOMAINS), where anyone may have an address.
- One query for the addresses, one more for the domains of those left unmatched (the
  addresses are asked in chunks only beyond LOOKUP_CHUNK spellings).
- On PostgreSQL the spellings are given as one array, `IN (SELECT unnest(%s))`: with a
  plain `IN (...)` list the planner of a small contacts table picks the trigram index of
  the search (contact_email_trgm, on the same UPPER(email)) and takes seconds for a few
  hundred addresses (3 s for 200 of 2,000 contacts), where the B-tree takes milliseconds.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models.expressions import RawSQL

from crm.contacts.models import Contact, Salesperson, email_domain_key, email_key
from interactions.conf import settings as conf
from interactions.selectors.email_addresses import ascii_domain, domain_of, normalize_email

# Spellings per query: far below SQLite's 32,766 bound parameters.
LOOKUP_CHUNK = 5000


def _ascii_upper(text: str) -> str:
    """`text` with only its ASCII letters in capitals: what SQLite's UPPER makes of it."""
    return "".join(char.upper() if char.isascii() else char for char in text)


def _domain_spellings(domain: str) -> set[str]:
    """How a stored e-mail's domain equal to `domain` (normal form) may read after the
    database's UPPER."""
    ascii_spelling = ascii_domain(domain)
    variants = {domain, ascii_spelling}
    if not domain.isascii():
        variants |= {domain.upper(), ".".join(label.capitalize() for label in domain.split("."))}
    return {spelling for variant in variants for spelling in (variant.upper(), _ascii_upper(variant))}


def _address_spellings(address: str) -> set[str]:
    local = address.rpartition("@")[0]
    local_spellings = {local.upper(), _ascii_upper(local)}
    return {
        f"{local_spelling}@{domain}"
        for local_spelling in local_spellings
        for domain in _domain_spellings(domain_of(address))
    }


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    chunk: list[str] = []
    for value in sorted(values):
        chunk.append(value)
        if len(chunk) == LOOKUP_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _any_of(values: list[str]):
    """The right-hand side of an `__in` lookup of `values` (see the module's docstring)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", [values])
    return values


def _normalized(emails: Iterable[str]) -> list[str]:
    found = (normalize_email(email) for email in emails)
    return list(dict.fromkeys(address for address in found if address))


def free_mail_domains() -> set[str]:
    """The free-mail domains of the setting, in normal (Unicode) form."""
    return {domain_of(normalize_email(f"x@{domain}") or f"x@{domain}") for domain in conf.MAIL_FREE_DOMAINS}


def contacts_for_addresses(emails: Iterable[str], *, match_company_domains: bool) -> dict[str, list[int]]:
    """Each valid address of `emails`, in normal form, with the ids of the contacts it
    matches (ascending; an empty list when none). By the contact's own e-mail first; with
    `match_company_domains`, an address no contact has matches the companies of its domain
    (companies whose e-mail or whose persons' e-mail is at that domain), unless it is a
    free-mail domain. Invalid addresses are left out."""
    matched: dict[str, set[int]] = {address: set() for address in _normalized(emails)}
    spellings = {spelling for address in matched for spelling in _address_spellings(address)}
    for chunk in _chunks(spellings):
        rows = (
            Contact.objects.alias(email_key=email_key()).filter(email_key__in=_any_of(chunk)).values_list("id", "email")
        )
        for contact_id, email in rows:
            address = normalize_email(email)
            if address in matched:
                matched[address].add(contact_id)

    if match_company_domains:
        free = free_mail_domains()
        by_domain: dict[str, list[str]] = {}
        for address, ids in matched.items():
            if not ids and domain_of(address) not in free:
                by_domain.setdefault(domain_of(address), []).append(address)
        domain_spellings = {spelling for domain in by_domain for spelling in _domain_spellings(domain)}
        for chunk in _chunks(domain_spellings):
            rows = (
                Contact.objects.alias(domain_key=email_domain_key())
                .filter(domain_key__in=_any_of(chunk))
                .values_list("id", "type", "company_id", "email")
            )
            for contact_id, contact_type, company_id, email in rows:
                address = normalize_email(email)
                company = contact_id if contact_type == Contact.Type.COMPANY else company_id
                if address is None or company is None:
                    continue
                for unmatched in by_domain.get(domain_of(address), ()):
                    matched[unmatched].add(company)
    return {address: sorted(ids) for address, ids in matched.items()}


def salespeople_for_addresses(emails: Iterable[str]) -> dict[str, int]:
    """Each address of `emails` (normal form) that is a salesperson's, with the
    salesperson's id (the first by code when two share an address)."""
    addresses = set(_normalized(emails))
    spellings = {spelling for address in addresses for spelling in _address_spellings(address)}
    found: dict[str, int] = {}
    for chunk in _chunks(spellings):
        rows = (
            Salesperson.objects.alias(email_key=email_key())
            .filter(email_key__in=_any_of(chunk))
            .order_by("code")
            .values_list("id", "email")
        )
        for salesperson_id, email in rows:
            address = normalize_email(email)
            if address in addresses:
                found.setdefault(address, salesperson_id)
    return found


def salesperson_for_address(email: str) -> int | None:
    """The id of the salesperson whose e-mail `email` is, or None."""
    address = normalize_email(email)
    if address is None:
        return None
    return salespeople_for_addresses([address]).get(address)
