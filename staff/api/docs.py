"""The OpenAPI document and the browsable docs (Swagger UI served from the installed package)."""
from __future__ import annotations

from flask import Response, jsonify, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

from staff.api import bp
from staff.api.openapi import document

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>法院工作人员 API / Court staff API</title>
<link rel="stylesheet" href="{css}"></head><body><div id="ui"></div>
<script src="{js}"></script>
<script>window.onload=function(){{SwaggerUIBundle({{url:"{spec}",dom_id:"#ui",deepLinking:true}})}}</script>
</body></html>"""


@bp.get("/openapi.json")
def openapi_json():  # type: ignore[no-untyped-def]
    return jsonify(document("/api/v1", "Court e-signing platform — staff API", "1.0"))


@bp.get("/docs")
def docs_page() -> Response:
    html = PAGE.format(css=url_for(".docs_asset", name="swagger-ui.css"),
                       js=url_for(".docs_asset", name="swagger-ui-bundle.js"), spec=url_for(".openapi_json"))
    return Response(html, mimetype="text/html")


@bp.get("/docs/assets/<path:name>")
def docs_asset(name: str):  # type: ignore[no-untyped-def]
    return send_from_directory(str(swagger_ui_path), name, max_age=86400)
