"""How the API's authentication shows in the OpenAPI description (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "crm.api.authentication.BearerTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (crm_…), created on the profile page /accounts/tokens/.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "crm.api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


# Bounds that Django takes from the database's integer columns (SQLite's are 64-bit where
# PostgreSQL's are 32-bit): left out, so that the description is the same on every database.
DATABASE_BOUNDS = {2**31 - 1, 2**63 - 1, -(2**31), -(2**63)}


def database_independent_integers(result, generator, request, public):
    """drf-spectacular post-processing hook: drop the integer bounds that come from the
    database's column types (and the int64 format they imply)."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "integer":
                for bound in ("maximum", "minimum"):
                    if node.get(bound) in DATABASE_BOUNDS:
                        del node[bound]
                if node.get("format") == "int64" and "maximum" not in node:
                    del node["format"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
