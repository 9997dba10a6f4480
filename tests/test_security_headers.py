import pytest

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(owner_client, organization):
    response = owner_client.get(f"/o/{organization.slug}/performance/")
    policy = dict(
        directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";") if directive
    )
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]
    assert "http" not in response["Content-Security-Policy"]  # no third-party host anywhere
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_template_carries_inline_script_or_handlers():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        if "emails" in path.parts:
            continue  # email clients, not our CSP
        text = path.read_text()
        for marker in (" onclick=", " onchange=", " onsubmit=", " onload=", "hx-on", "javascript:"):
            if marker in text:
                offenders.append(f"{path.relative_to(root)}: {marker.strip()}")
        for chunk in text.split("<script")[1:]:
            if "src=" not in chunk.split(">", 1)[0]:
                offenders.append(f"{path.relative_to(root)}: inline <script>")
    assert offenders == []
