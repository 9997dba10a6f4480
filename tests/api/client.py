"""API test helpers: keys made by the service, a client that sends them, and the contract check of every answer
(a module of its own, so tests and fixtures share one SEEN)."""

import functools
import json
import re

from django.test import Client
from openapi_schema_validator import OAS31Validator

from accounts.tenancy import organization_context
from oteapp.api.keys import api_key_create
from oteapp.api.v1 import api as api_v1

# Every answer an ApiClient receives is checked against the OpenAPI document; the (method, path, status) seen are
# collected, so a test can prove that every documented success answer was exercised.
SEEN: set[tuple[str, str, str]] = set()


@functools.cache
def openapi_document() -> dict:
    return json.loads(json.dumps(api_v1.get_openapi_schema()))


def _template(path: str) -> str:
    for template in openapi_document()["paths"]:
        pattern = "^" + re.sub(r"\\{\w+\\}", r"[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not in the OpenAPI document")


def contract_check(method: str, path: str, response) -> None:
    """The answer is one the document describes for this operation: its status, content type and body schema."""
    template = _template(path.split("?")[0])
    operation = openapi_document()["paths"][template][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {template} answered {status}, which is not documented"
    content = operation["responses"][status].get("content", {})
    content_type = response["Content-Type"].split(";")[0]
    assert content_type in content, f"{method} {template} {status}: {content_type} is not documented"
    schema = {**content[content_type]["schema"], "components": openapi_document()["components"]}
    OAS31Validator(schema).validate(json.loads(response.content))
    SEEN.add((method.lower(), template, status))


def key_for(organization, *, scope: str = "write", name: str | None = None) -> str:
    with organization_context(organization):
        _, text = api_key_create(organization=organization, actor=None, name=name or f"{scope} key", scope=scope)
    return text


class ApiClient:
    """Django's test client with a bearer key; JSON bodies."""

    def __init__(self, key: str) -> None:
        self.client = Client()
        self.key = key

    def _headers(self, headers: dict | None) -> dict:
        return {"Authorization": f"Bearer {self.key}", **(headers or {})}

    def get(self, path: str, **params):
        response = self.client.get(path, params, headers=self._headers(None))
        contract_check("get", path, response)
        return response

    def send(self, method: str, path: str, body=None, *, headers: dict | None = None):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        response = getattr(self.client, method)(
            path, data, content_type="application/json", headers=self._headers(headers)
        )
        contract_check(method, path, response)
        return response
