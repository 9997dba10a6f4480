"""Ends what an API request's authentication entered (oteapp/api/auth.py) when its answer is done: the acting key
of the audit trail. (The organization is left by accounts.middleware.OrganizationMiddleware.) An answer to a key
is marked `private, no-store`, as a signed-in page's is (accounts.middleware.PrivateCacheMiddleware, which knows
only sessions): it holds the organization's pay and people.

It also keeps the API's promise that every error is problem+json for the two answers given before any operation
runs: a path the API does not have (Django's 404 page) and a method its path does not take (django-ninja's plain
405)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from oteapp.api.problems import PROBLEM_CONTENT_TYPE, ApiProblem, problem_response
from oteapp.audit_context import leave_api_key

API_PREFIX = "/api/v1/"


def _as_problem(response: HttpResponse) -> HttpResponse:
    if response.status_code == 404:
        return problem_response(ApiProblem(404, "Not found", "The API has no such path.", type_name="not-found"))
    allowed = response.get("Allow", "")
    return problem_response(
        ApiProblem(
            405,
            "Method not allowed",
            f"This path takes {allowed}." if allowed else "",
            type_name="method-not-allowed",
            headers={"Allow": allowed} if allowed else None,
        )
    )


class ApiKeyContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.api_key_token = None
        try:
            response = self.get_response(request)
        finally:
            if request.api_key_token is not None:
                leave_api_key(request.api_key_token)
        if request.api_key_token is not None:
            patch_cache_control(response, private=True, no_store=True)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code in (404, 405)
            and response.get("Content-Type", "").split(";")[0] != PROBLEM_CONTENT_TYPE
        ):
            return _as_problem(response)
        return response
