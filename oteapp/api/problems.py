"""Errors as RFC 9457 problem details (`application/problem+json`): `type`, `title`, `status`, `detail`, and
`errors`, one `{"field", "detail"}` per problem, naming the field as a JSON path (`rows[3].deals`, `month`)."""

import json
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from oteapp.api.json import json_response

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"
logger = logging.getLogger(__name__)


class ApiProblem(Exception):
    """An answer other than success, raised anywhere under an operation and turned into problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        type_name: str = "about:blank",
        errors: Sequence[tuple[str, str]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type_name = type_name
        self.errors = list(errors)
        self.headers = headers or {}


def problem_response(problem: ApiProblem) -> HttpResponse:
    body: dict[str, Any] = {
        "type": problem.type_name if problem.type_name == "about:blank" else TYPE_BASE + problem.type_name,
        "title": problem.title,
        "status": problem.status,
    }
    if problem.detail:
        body["detail"] = problem.detail
    if problem.errors:
        body["errors"] = [{"field": field, "detail": detail} for field, detail in problem.errors]
    response = json_response(body, status=problem.status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in problem.headers.items():
        response[name] = value
    return response


def invalid(errors: Sequence[tuple[str, str]], *, detail: str = "") -> ApiProblem:
    """422: the request is well-formed JSON but a field's value is refused; nothing was changed."""
    first = f"{errors[0][0]}: {errors[0][1]}" if errors else ""
    return ApiProblem(
        422,
        "Invalid request",
        detail or first + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
        type_name="invalid",
        errors=errors,
    )


_PLACE = re.compile(r"^((?:rows\[\d+\](?:\.\w+)?)|(?:[\w.\[\]-]+?)): (.+)$", re.DOTALL)
_LINE = re.compile(r"^line (\d+)(?:, column (\w+))?: (.+)$", re.DOTALL)


def import_errors(messages: Iterable[str]) -> list[tuple[str, str]]:
    """An importer's messages ("roles.closer.annual_ote: must be …", "rows[3].deals: …") as (field, detail)."""
    errors = []
    for message in messages:
        match = _PLACE.match(message)
        if match and not _LINE.match(message):
            errors.append((match.group(1), match.group(2)))
        else:
            errors.append(("", message))
    return errors


def _location(loc: Sequence[Any]) -> str:
    """Pydantic's location (("body", "payload", "rows", 3, "deals")) as a JSON path of the request: rows[3].deals."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header"}:
        source = parts.pop(0)
        if source == "body" and parts:
            parts.pop(0)  # the operation's parameter name
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


class JsonBodyParser(Parser):
    """Request bodies: JSON declared as such (415 otherwise), and 400 for what json cannot read, whatever the reason
    (bad syntax, bytes that are not UTF-8, nesting deeper than the interpreter's recursion, an integer over Python's
    digit limit). django-ninja wraps a parser's exception in a 400 HttpError; on_http_error answers with the problem
    raised here."""

    def parse_body(self, request: HttpRequest) -> Any:
        if not _is_json(request.content_type or ""):
            detail = (
                f"Send the body as JSON with Content-Type: application/json (not {request.content_type or 'none'})."
            )
            raise ApiProblem(
                415,
                "Unsupported media type",
                detail,
                type_name="unsupported-media-type",
                errors=[("Content-Type", detail)],
            )
        try:
            return json.loads(request.body)
        except (ValueError, RecursionError) as error:
            message = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            raise ApiProblem(
                400, "Malformed JSON", f"The body is not valid JSON: {message}", type_name="malformed"
            ) from None


def install_problem_handlers(api) -> None:
    """Every error the API answers with, as problem+json."""

    def on_problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
        return problem_response(exc)

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for error in exc.errors:
            message = str(error.get("msg", "invalid"))
            if error.get("type") == "json_invalid":
                return problem_response(
                    ApiProblem(400, "Malformed JSON", f"The body is not valid JSON: {message}", type_name="malformed")
                )
            errors.append((_location(error.get("loc", ())), message))
        return problem_response(invalid(errors))

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(
            ApiProblem(
                401,
                "Not authenticated",
                "Send an active API key of the organization as `Authorization: Bearer <key>`.",
                type_name="unauthenticated",
                headers={"WWW-Authenticate": 'Bearer realm="api"'},
            )
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, ApiProblem):  # raised by JsonBodyParser, wrapped by django-ninja
            return problem_response(exc.__cause__)
        return problem_response(ApiProblem(exc.status_code, str(exc.message)))

    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return problem_response(
            ApiProblem(
                413, "Request too large", f"A request body may have at most {limit} bytes.", type_name="too-large"
            )
        )

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(ApiProblem(404, "Not found", str(exc) or "", type_name="not-found"))

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return problem_response(ApiProblem(500, "Internal error", "The request failed and changed nothing."))

    api.add_exception_handler(ApiProblem, on_problem)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(Exception, on_unexpected)
