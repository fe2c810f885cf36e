"""The REST API of the interactions module (/api/v1/): serializers that translate, views
that call the services and selectors the pages use, with the pages' forms and FilterSets
for input. No business rule of its own. The host's crm/api gives authentication (tokens),
idempotency, throttling, limits and JSON errors."""
