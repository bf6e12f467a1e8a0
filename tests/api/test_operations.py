"""Health, readiness, metrics and the OpenAPI document are public; the document is served offline."""

from __future__ import annotations

from tests.api.conftest import Api


async def test_operations_endpoints(api: Api) -> None:
    assert (await api.call("GET", "/healthz", expect=200)).json() == {"status": "ok"}
    assert (await api.call("GET", "/readyz", expect=200)).json()["database"] == "ok"
    await api.call("GET", "/v1/catalogue", expect=401)
    schema = (await api.call("GET", "/schema", expect=200)).json()
    assert schema["openapi"].startswith("3.1")
    assert {"/v1/check", "/v1/grants", "/v1/helpline/lookup"} <= set(schema["paths"])
    assert "bearer" in schema["components"]["securitySchemes"]
    yaml = await api.call("GET", "/schema/openapi.yaml", expect=200)
    assert "openapi:" in yaml.text
    metrics = (await api.call("GET", "/metrics", expect=200)).text
    assert "rights_requests_total" in metrics or "litestar_requests_total" in metrics or "requests_total" in metrics
