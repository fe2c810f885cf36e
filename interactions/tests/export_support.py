"""The log's Excel export as a test reads it: asked for from the log page's button (a POST
with the filter in the query string), built by its task in this process, downloaded by
the user who asked."""

from urllib.parse import urlencode

from django.urls import reverse


def xlsx_export(client, parameters: dict | None = None) -> bytes:
    """The Excel file of the log filtered by `parameters`; the tasks must run in-process
    (the `tasks_in_process` fixture)."""
    url = reverse("interactions:log-exports")
    if parameters:
        url += "?" + urlencode(parameters)
    page = client.post(url, follow=True)
    assert page.status_code == 200
    export = page.context["export"]
    assert export.state == "done", export.error
    download = client.get(reverse("interactions:log-export-download", args=[export.pk]))
    assert download.status_code == 200
    return b"".join(download.streaming_content)
