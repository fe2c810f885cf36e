"""The committed OpenAPI description (docs/openapi.yaml) is the API's: regenerated with
`spectacular --validate --fail-on-warn` it is the same, so a change to the API shows in
review as a diff of that file (`make openapi` writes it)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


@pytest.mark.django_db
def test_the_committed_openapi_description_is_valid_and_up_to_date(tmp_path):
    generated = tmp_path / "openapi.yaml"
    # Fails (SchemaGenerationError) on any warning or validation error of the schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))
    assert generated.read_text() == COMMITTED.read_text(), (
        "docs/openapi.yaml differs from the API: run `make openapi` and commit the result"
    )
