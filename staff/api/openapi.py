"""A small route registry that validates requests with pydantic and writes the OpenAPI document.

Each endpoint is declared once with :func:`route`; the same declaration validates the JSON
body / query string, serialises the response, and describes the operation in
``/api/v1/openapi.json`` (OpenAPI 3.0, rendered by the locally served Swagger UI at
``/api/v1/docs``).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, TypeAdapter

from court.models import StaffRole


@dataclass
class Operation:
    rule: str
    method: str
    summary: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    roles: tuple[StaffRole, ...]
    multipart: dict[str, str] = field(default_factory=dict)
    binary: bool = False
    public: bool = False


OPERATIONS: list[Operation] = []


def route(
    bp: Blueprint,
    rule: str,
    method: str = "GET",
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    roles: tuple[StaffRole, ...] = (),
    multipart: dict[str, str] | None = None,
    binary: bool = False,
    public: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` as ``method rule``; validated ``body``/``query`` arrive as keyword args.

    ``roles``: who may call it besides admins (empty: any active staff member).
    """
    op = Operation(rule, method, summary, tag, body, query, response, status, roles, multipart or {}, binary, public)
    OPERATIONS.append(op)
    adapter = TypeAdapter(response) if response is not None else None

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(**kwargs: Any) -> Any:
            from staff.api.auth import require_staff

            if not public:
                require_staff(roles)
            if body is not None:
                payload = request.get_json(silent=True)
                if payload is None:
                    from court.errors import DomainError

                    raise DomainError("请求体必须是JSON", code="json_required", status=415 if not request.is_json else 400)
                kwargs["body"] = body.model_validate(payload)
            if query is not None:
                kwargs["query"] = query.model_validate(request.args.to_dict())
            result = fn(**kwargs)
            if adapter is None or not (isinstance(result, (BaseModel, list, dict))):
                return result
            return jsonify(adapter.dump_python(result, mode="json")), status

        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return view

    return decorator


def _nullable(schema: Any) -> Any:
    """Rewrite pydantic's JSON Schema 2020-12 ``anyOf [X, null]`` into OpenAPI 3.0 ``nullable``."""
    if isinstance(schema, dict):
        any_of = schema.get("anyOf")
        if isinstance(any_of, list) and {"type": "null"} in any_of and len(any_of) == 2:
            other = next(s for s in any_of if s != {"type": "null"})
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            if "$ref" in other:
                merged["allOf"] = [other]
            else:
                merged.update(other)
            merged["nullable"] = True
            return _nullable(merged)
        return {k: _nullable(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_nullable(v) for v in schema]
    return schema


def _schema(tp: Any, components: dict[str, Any]) -> dict[str, Any]:
    full = TypeAdapter(tp).json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in full.pop("$defs", {}).items():
        components[name] = _nullable(sub)
    if full.get("title") and full.get("type") == "object" and isinstance(tp, type) and issubclass(tp, BaseModel):
        components[tp.__name__] = _nullable(full)
        return {"$ref": f"#/components/schemas/{tp.__name__}"}
    return _nullable(full)


ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "array", "items": {}},
    }, "required": ["code", "message"]}},
}


def document(prefix: str, title: str, version: str) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        path = prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", op.rule)
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "integer" if conv == "int" else "string"}}
            for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", op.rule)
        ]
        if op.query is not None:
            qs = _schema(op.query, components)
            props = components[op.query.__name__]["properties"] if "$ref" in qs else qs.get("properties", {})
            required = components.get(op.query.__name__, {}).get("required", [])
            params += [{"name": n, "in": "query", "required": n in required, "schema": p} for n, p in props.items()]
        entry: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "operationId": f"{op.method.lower()}_{path}"}
        if params:
            entry["parameters"] = params
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema(op.body, components)}}}
        elif op.multipart:
            entry["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object",
                "properties": {k: ({"type": "string", "format": "binary"} if v == "file" else {"type": "string", "description": v})
                               for k, v in op.multipart.items()},
                "required": [k for k in op.multipart],
            }}}}
        ok: dict[str, Any] = {"description": "OK"}
        if op.binary:
            ok["content"] = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
        elif op.response is not None:
            ok["content"] = {"application/json": {"schema": _schema(op.response, components)}}
        err = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        entry["responses"] = {str(op.status): ok, "400": err, "404": err, "422": err}
        if not op.public:
            entry["responses"].update({"401": err, "403": err})
            entry["security"] = [{"apiKey": []}]
        paths.setdefault(path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": version, "description": "法院工作人员 API / Court staff API. "
                 "Authenticate with `Authorization: Bearer <API key>`."},
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}}},
    }
