"""Ends what an API request's authentication entered (oteapp/api/auth.py) when its answer is done: the acting key
of the audit trail. (The organization is left by accounts.middleware.OrganizationMiddleware.)"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from oteapp.audit_context import leave_api_key


class ApiKeyContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.api_key_token = None
        try:
            return self.get_response(request)
        finally:
            if request.api_key_token is not None:
                leave_api_key(request.api_key_token)
