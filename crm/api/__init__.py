"""The host's part of the REST API, shared by every app's endpoints and independent of them:
personal API tokens (created and revoked on the profile page, stored as a hash), the
`Idempotency-Key` store, throttling per token, request limits, JSON errors, and the base
classes of API views. The interactions module's endpoints (interactions/api/) use it; the
host works, and its token pages too, without the module."""
