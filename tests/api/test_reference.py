"""The API reference at /docs is served by the service itself (no CDN), and the document names its version."""

from __future__ import annotations

import re

from rights import __version__
from tests.api.conftest import Api


async def test_docs_page_and_its_assets_are_all_local(api: Api) -> None:
    page = await api.call("GET", "/docs", expect=200)  # public, like /schema: no token
    assert page.headers["content-type"].startswith("text/html")
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "<script>" not in page.text  # no inline script: a strict CSP can hold
    for url in urls:
        assert (await api.call("GET", url, expect=200)).content
    init = (await api.call("GET", "/docs/init.js", expect=200)).text
    assert '"/schema/openapi.json"' in init and "validatorUrl: null" in init
    assert "http" not in init
    bundle = await api.call("GET", "/docs/assets/swagger-ui-bundle.js", expect=200)
    assert len(bundle.content) > 500_000  # the real Swagger UI 5, not a stub


async def test_openapi_document_carries_the_api_version(api: Api) -> None:
    schema = (await api.call("GET", "/schema/openapi.json", expect=200)).json()
    assert schema["info"]["version"] == __version__
    assert not any(p.startswith("/docs") for p in schema["paths"])


async def test_only_the_reference_allows_inline_styles(api: Api) -> None:
    """Swagger UI sets style attributes from its own script: /docs allows inline styles, and nothing else
    does; scripts stay 'self' on /docs too."""
    docs = (await api.call("GET", "/docs", expect=200)).headers["content-security-policy"]
    assert "style-src 'self' 'unsafe-inline'" in docs and "script-src 'self';" in docs
    for path in ("/healthz", "/helpline/login"):
        csp = (await api.call("GET", path)).headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
