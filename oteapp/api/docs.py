"""The API's docs page, rendered by the server from the OpenAPI document itself (no JavaScript, no third-party
assets): every operation with its parameters, body and answers, and every schema with its fields. It is the
app's own layout, so it keeps the content security policy and passes the accessibility checks of every screen."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from oteapp.api.v1 import api

METHODS_ORDER = ("get", "post", "put", "patch", "delete")


def schema_text(schema: dict[str, Any]) -> tuple[str, str | None]:
    """(readable type, the component it names or None): "string", "array of RepOut", "number or null"."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return name, name
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            parts = [schema_text(option) for option in schema[combinator]]
            ref = next((ref for _, ref in parts if ref), None)
            return " or ".join(text for text, _ in parts), ref
    kind = schema.get("type", "any")
    if kind == "array":
        text, ref = schema_text(schema.get("items", {}))
        return f"array of {text}", ref
    if "enum" in schema:
        return " | ".join(f'"{value}"' for value in schema["enum"]), None
    if "const" in schema:
        return f"{schema['const']!r}".lower(), None
    fmt = schema.get("format")
    return (f"{kind} ({fmt})" if fmt else str(kind)), None


def _fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    fields = []
    for name, field in schema.get("properties", {}).items():
        text, ref = schema_text(field)
        fields.append(
            {
                "name": name,
                "type": text,
                "ref": ref,
                "required": name in required,
                "description": field.get("description", ""),
            }
        )
    return fields


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, methods in document["paths"].items():
        for method in sorted(methods, key=METHODS_ORDER.index):
            operation = methods[method]
            parameters = []
            for parameter in operation.get("parameters", []):
                text, ref = schema_text(parameter.get("schema", {}))
                parameters.append({**parameter, "type": text, "ref": ref})
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            responses = []
            for status, response in operation.get("responses", {}).items():
                content_type, media = next(iter(response.get("content", {}).items()), (None, {}))
                text, ref = schema_text(media.get("schema", {})) if media else ("", None)
                responses.append(
                    {
                        "status": status,
                        "description": response.get("description", ""),
                        "content_type": content_type,
                        "type": text,
                        "ref": ref,
                    }
                )
            operations.append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", "").strip("-"),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "tag": (operation.get("tags") or [""])[0],
                    "parameters": parameters,
                    "body": schema_text(body["schema"]) if body else None,
                    "responses": responses,
                }
            )
    return operations


@require_safe
def docs(request: HttpRequest) -> HttpResponse:
    document = api.get_openapi_schema()
    components = document.get("components", {}).get("schemas", {})
    context = {
        "info": document["info"],
        "operations": _operations(document),
        "schemas": [
            {"name": name, "description": schema.get("description", ""), "fields": _fields(schema)}
            for name, schema in sorted(components.items())
        ],
    }
    return render(request, "oteapp/api_docs.html", context)
