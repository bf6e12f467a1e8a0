"""The readable API reference at ``/docs``: Swagger UI 5 over ``/schema/openapi.json``, entirely offline.

The page, its start-up script and Swagger UI's assets are all served by this process: the assets come
from the ``swagger-ui-bundle-v2`` package (``swagger_ui_bundle.swagger_ui_path``), never from a CDN, so a
browser on a closed network renders the reference and no request leaves the machine. The page carries
no inline script (the start-up script is its own file), so a strict Content-Security-Policy can hold.
"""

from __future__ import annotations

from litestar import Response, Router, get
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

from rights import __version__
from rights.api.permissions import Permission

PUBLIC = {"permission": Permission.PUBLIC}
ASSETS = "/docs/assets"

_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>rights {__version__} — API reference</title>
  <link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="{ASSETS}/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""

# No "validatorUrl": Swagger UI would otherwise send the document to validator.swagger.io.
_INIT = """window.ui = SwaggerUIBundle({
  url: "/schema/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: "StandaloneLayout"
});
"""


@get("/", opt=PUBLIC, include_in_schema=False, sync_to_thread=False)
def reference_page() -> Response[str]:
    return Response(_PAGE, media_type="text/html; charset=utf-8")


@get("/init.js", opt=PUBLIC, include_in_schema=False, sync_to_thread=False)
def reference_init() -> Response[str]:
    return Response(_INIT, media_type="text/javascript; charset=utf-8")


def reference_router() -> list[Router]:
    """``/docs`` (the page and its start-up script) and ``/docs/assets/…`` (Swagger UI's own files)."""
    assets = create_static_files_router(path=ASSETS, directories=[swagger_ui_path], opt=PUBLIC,
                                        include_in_schema=False)
    return [Router(path="/docs", route_handlers=[reference_page, reference_init]), assets]
