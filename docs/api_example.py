"""A runnable example of the CRM's REST API (/api/v1/): record an interaction for a contact,
read the contact's timeline and statistics, and page through the log with its cursor.

    CRM_URL=http://127.0.0.1:8000 CRM_TOKEN=crm_... python docs/api_example.py CT000001 PHONE

Create the token on your profile page (/accounts/tokens/, "API tokens"); it acts with your
permissions. Needs only the Python standard library.
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

BASE = os.environ.get("CRM_URL", "http://127.0.0.1:8000").rstrip("/")
TOKEN = os.environ.get("CRM_TOKEN", "")


def call(method: str, path: str, body: dict | None = None, *, headers: dict | None = None) -> dict | list:
    """One request; an error answers JSON too: {"detail", "code", "errors": {field: [messages]}}."""
    url = path if path.startswith("http") else f"{BASE}{path}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {TOKEN}")
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response) if response.status != 204 else {}
    except urllib.error.HTTPError as error:
        problem = json.load(error)
        sys.exit(f"{method} {path}: {error.code} {problem.get('detail')} {problem.get('errors', '')}")


def main() -> None:
    if not TOKEN:
        sys.exit("Set CRM_TOKEN to a personal API token (create one on /accounts/tokens/).")
    contact = sys.argv[1] if len(sys.argv) > 1 else "CT000001"
    template = sys.argv[2] if len(sys.argv) > 2 else "PHONE"

    # 1. Record an interaction. Left-out fields take the template's and the contact's defaults,
    #    as on the "new interaction" page. The Idempotency-Key makes a retry safe: sent again
    #    with the same body it answers the same entry and records nothing more.
    entry = call(
        "POST",
        "/api/v1/log-entries/",
        {"contact": contact, "template": template, "subject": "Asked for a quote", "comment": "Call back on Monday"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    print(f"Recorded entry {entry['entry_no']}: {entry['description']} ({entry['date']}) -> {entry['url']}")

    # 2. The contact's timeline (newest first) and statistics, as its card shows them.
    for row in call("GET", f"/api/v1/contacts/{urllib.parse.quote(contact)}/timeline/?limit=5"):
        print(f"  {row['date']} {row['entry_no']:>8} {row['template'] or '':<10} {row['description']}")
    figures = call("GET", f"/api/v1/contacts/{urllib.parse.quote(contact)}/statistics/")
    print(f"{figures['count']} interactions, cost {figures['cost']}, {figures['duration']} min")

    # 3. The log filtered as on the log page, page after page by the cursor of `next`.
    url, pages = f"/api/v1/log-entries/?contact={urllib.parse.quote(contact)}&page_size=100", 0
    while url and pages < 3:
        page = call("GET", url)
        pages += 1
        print(f"page {pages}: {len(page['results'])} entries")
        url = page["next"]


if __name__ == "__main__":
    main()
