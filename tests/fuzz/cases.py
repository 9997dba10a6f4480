"""One fuzz case per route that accepts POST: how to draw its path and fields (a valid form with some fields
made hostile, or hostile files), and, when a request succeeded, how to check that what was stored is what was
typed and what the answer shows. `CASES` must name every such route (tests/fuzz/test_fuzz_registry.py)."""

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import quote

from django import forms
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape
from hypothesis import strategies as st

from accounts.models import Invitation, MemberRole, Membership, Organization, User
from accounts.tenancy import organization_context
from oteapp.api.keys import api_key_create
from oteapp.files.configuration import decimal_text
from oteapp.models import (
    Adjustment,
    ApiKey,
    AuditEvent,
    MonthApproval,
    MonthlyActual,
    OrganizationSettings,
    Rep,
    SalesRole,
    WebhookDelivery,
    WebhookEndpoint,
)
from oteapp.months import format_month, parse_month
from oteapp.number_format import parse_number
from oteapp.payouts.emails import statement_unsubscribe_url
from oteapp.services.actuals import CENT, actual_fields, number_text, row_is_empty
from oteapp.templatetags.ote import money
from oteapp.views.configuration import ALIGN_NOUNS
from tests.factories import PASSWORD
from tests.fuzz.conftest import World
from tests.fuzz.harness import ENCODINGS, FILE_ENCODINGS, Sent, Upload, input_values
from tests.fuzz.strategies import (
    NASTY_TEXT,
    choices_typed,
    config_files,
    csv_files,
    dates_typed,
    fractions_typed,
    months_typed,
    numbers_typed,
    texts_typed,
    unicode_text,
)

ROLE_KEYS = ("closer", "setter", "manager")
ACCESS_LEVELS = tuple(MemberRole.values)
NO_SUCH_ID = 10**18  # fits the URL converter and bigint, matches nothing


@dataclass
class Request:
    path: str
    fields: dict[str, str | Upload] = field(default_factory=dict)
    client: Client | None = None  # another client than the owner's (a visitor who is not signed in)
    context: dict = field(default_factory=dict)  # what the check needs to know about the draw


@dataclass(frozen=True)
class Case:
    draw: Callable[[World, st.DataObject], Request]
    # Called for a successful answer: the stored state must be what was typed, and what the answer shows.
    check: Callable[[World, Request, Sent], None] | None = None
    writes: bool = True  # False: even a success must leave every tenant row as it was
    refuses: bool = True  # False: the route takes no input, so nothing it is sent can be wrong
    encodings: tuple[str, ...] = ENCODINGS


# --- drawing helpers --------------------------------------------------------------------------------------


def mutated(data: st.DataObject, valid: Mapping[str, str], hostile: Mapping[str, st.SearchStrategy]) -> dict:
    """The valid form with up to three fields replaced by drawn values, sometimes one left out and some
    unknown field added."""
    fields: dict[str, str | Upload] = dict(valid)
    names = data.draw(st.lists(st.sampled_from(sorted(hostile)), max_size=3, unique=True), label="changed fields")
    for name in names:
        fields[name] = data.draw(hostile[name], label=name)
    if fields and rarely(data, "drop one", 1 / 10):
        del fields[data.draw(st.sampled_from(sorted(fields)), label="dropped")]
    if rarely(data, "add unknown", 1 / 10):
        fields[data.draw(unicode_text, label="unknown name") or "x"] = data.draw(unicode_text, label="unknown value")
    return fields


def rarely(data: st.DataObject, label: str, chance: float) -> bool:
    """True with about `chance`: Hypothesis draws the ends of an integer range far more often than the middle,
    so "== 0" would come up much too often; the first of a sampled list is its simplest (False) case."""
    return data.draw(st.sampled_from((False,) * (round(1 / chance) - 1) + (True,)), label=label)


def with_month_query(data: st.DataObject, path: str) -> str:
    """Most screens also read ?month= (the month selector): sometimes a bad one."""
    if data.draw(st.booleans(), label="month query"):
        month = data.draw(months_typed("2026-10"), label="month query value")
        return f"{path}?month={quote(month, safe='', errors='surrogatepass')}"
    return path


def typed_number(text: str) -> Decimal | None:
    """How the number inputs read what was typed ("$60,000" is 60000); None for blank."""
    return parse_number(text)


def org_path(world: World, tail: str) -> str:
    return f"/o/{world.slug}/{tail}"


def anonymous() -> Client:
    return Client()


def messages_text(sent: Sent) -> str:
    return " ".join(text for _, text in sent.messages)


# --- Actuals tab ------------------------------------------------------------------------------------------


def _current_version(rep: Rep | None, month: date | None) -> int:
    if rep is None or month is None:
        return 0
    row = MonthlyActual.unscoped.filter(rep=rep, month=month).values_list("version", flat=True).first()
    return row or 0


def _month_or_none(text: str) -> date | None:
    try:
        return parse_month(text)
    except ValueError:
        return None


def draw_actuals_row(world: World, data: st.DataObject) -> Request:
    rep = data.draw(st.sampled_from([*world.reps.values(), None]), label="rep")
    month_text = data.draw(months_typed("2026-10", "2026-11", "2025-06"), label="month")
    month = _month_or_none(month_text)
    kind = rep.role.kind if rep is not None else "closer"
    valid = {"version": str(_current_version(rep, month))}
    valid |= {spec.name: str(data.draw(st.integers(0, 30), label=spec.name)) for spec in actual_fields(kind)}
    hostile = {spec.name: numbers_typed(high=10**4) for spec in actual_fields(kind)}
    hostile["version"] = st.sampled_from(["0", "1", "2", "-1", "1.5", "", str(2**31), str(10**30)]) | unicode_text
    path = f"actuals/rows/{rep.pk if rep else NO_SUCH_ID}/{quote(month_text, safe='', errors='surrogatepass')}/"
    return Request(org_path(world, path), mutated(data, valid, hostile), context={"rep": rep, "month": month})


def check_actuals_row(world: World, request: Request, sent: Sent) -> None:
    rep, month = request.context["rep"], request.context["month"]
    fields = actual_fields(rep.role.kind)
    typed = {spec.name: typed_number(sent.posted.get(spec.name, "")) for spec in fields}
    actual = MonthlyActual.unscoped.filter(rep=rep, month=month).first()
    if row_is_empty(fields, typed):  # a blank row reports nothing: the rep is "not reported"
        assert actual is None
        return
    for spec in fields:
        expected = typed[spec.name].quantize(CENT) if typed[spec.name] is not None else None  # blank stays blank
        assert getattr(actual, spec.name) == expected, (spec.name, typed)
    page = sent.html if sent.htmx else world.client.get(sent.response["Location"]).content.decode()
    _, by_id = input_values(page)
    for spec in fields:
        assert by_id[f"r{rep.pk}-{spec.name}"] == number_text(getattr(actual, spec.name))


def draw_actuals_row_remove(world: World, data: st.DataObject) -> Request:
    request = draw_actuals_row(world, data)
    rep, month = request.context["rep"], request.context["month"]
    valid = {"version": str(_current_version(rep, month))}
    hostile = {"version": st.sampled_from(["0", "1", "2", "-1", "1.5", "", str(2**31), str(10**30)]) | unicode_text}
    return Request(request.path + "remove/", mutated(data, valid, hostile), context=request.context)


def check_actuals_row_remove(world: World, request: Request, sent: Sent) -> None:
    rep, month = request.context["rep"], request.context["month"]
    assert not MonthlyActual.unscoped.filter(rep=rep, month=month).exists()


def draw_rep_create(world: World, data: st.DataObject) -> Request:
    valid = {"new-name": "Cy", "new-role": "closer", "new-start_date": "2026-10-01", "new-email": ""}
    hostile = {
        "new-name": texts_typed("Cy", "Ana", "  Dee   Dot ", "ana"),
        "new-role": choices_typed(*ROLE_KEYS),
        "new-start_date": dates_typed("2026-10-01", ""),
        "new-email": texts_typed("cy@example.com", "cy@exämple.com", "not-an-email"),
    }
    return Request(with_month_query(data, org_path(world, "actuals/reps/new/")), mutated(data, valid, hostile))


def check_rep_create(world: World, request: Request, sent: Sent) -> None:
    posted = sent.posted
    name = " ".join(posted["new-name"].split())
    rep = Rep.unscoped.select_related("role").get(organization=world.organization, name=name)
    assert rep.role.key == posted["new-role"]
    assert rep.start_date == forms.DateField(required=False).clean(posted.get("new-start_date", ""))
    assert rep.email == posted.get("new-email", "").strip()
    assert f"Added {name} (" in messages_text(sent)


def draw_rep_end(world: World, data: st.DataObject) -> Request:
    ids = [str(rep.pk) for rep in world.reps.values()]
    valid = {"end-rep": str(world.reps["Ben"].pk), "end-end_date": "2026-10-31"}
    hostile = {
        "end-rep": choices_typed(*ids, str(NO_SUCH_ID), "0", "-1", str(10**30)),
        "end-end_date": dates_typed("2026-10-31", "2026-11-30", "2024-12-31"),
    }
    return Request(with_month_query(data, org_path(world, "actuals/reps/end/")), mutated(data, valid, hostile))


def check_rep_end(world: World, request: Request, sent: Sent) -> None:
    rep = Rep.unscoped.get(pk=int(sent.posted["end-rep"]))
    assert rep.end_date == forms.DateField().clean(sent.posted["end-end_date"])
    assert f"{rep.name}'s last day is" in messages_text(sent)


def _csv_upload(world: World, data: st.DataObject) -> Upload:
    content = data.draw(csv_files(reps=world.rep_names, roles=ROLE_KEYS), label="csv")
    return Upload("actuals.csv", content, data.draw(st.sampled_from(["text/csv", "image/png"]), label="csv type"))


def draw_upload(world: World, data: st.DataObject) -> Request:
    fields: dict[str, str | Upload] = {"csv-file": _csv_upload(world, data)}
    if rarely(data, "no file", 1 / 10):
        fields = {"csv-file": data.draw(st.sampled_from(NASTY_TEXT), label="file as text")}
    return Request(with_month_query(data, org_path(world, "actuals/upload/")), fields)


def draw_upload_apply(world: World, data: st.DataObject) -> Request:
    """The real flow: upload a drawn file, then apply the token its preview gave (or a broken one)."""
    upload = _csv_upload(world, data)
    preview = world.client.post(org_path(world, "actuals/upload/"), {"csv-file": upload_file(upload)})
    assert preview.status_code < 500
    token = (preview.context or {}).get("token") or ""
    if token and rarely(data, "break token", 1 / 5):
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        broken = st.sampled_from(["", tampered, "eyJjc3YiOiIifQ:forged", token + "\x00"]) | unicode_text
        token = data.draw(broken, label="broken token")
    path = with_month_query(data, org_path(world, "actuals/upload/apply/"))
    return Request(path, {"token": token}, context={"csv": upload.content.decode("utf-8-sig", "replace")})


def upload_file(upload: Upload) -> SimpleUploadedFile:
    return SimpleUploadedFile(upload.name, upload.content, upload.content_type)


def check_upload_apply(world: World, request: Request, sent: Sent) -> None:
    rows = list(csv.reader(io.StringIO(request.context["csv"], newline="")))
    columns = [cell.strip().lower() for cell in rows[0]]
    for cells in rows[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        row = dict(zip(columns, cells, strict=True))
        rep = Rep.unscoped.get(organization=world.organization, name=row["rep"].strip())
        actual = MonthlyActual.unscoped.get(rep=rep, month=parse_month(row["month"]))
        for column in ("deals", "meetings", "team_deals", "revenue"):
            if column in row:
                text = row[column].strip()
                assert getattr(actual, column) == (Decimal(text) if text else None), (column, text)
    assert "CSV applied:" in messages_text(sent)


# --- Configuration tab ------------------------------------------------------------------------------------

SETTINGS_NUMBERS = {
    "deal_value": numbers_typed(),
    "meeting_to_deal_rate": fractions_typed(),
    "monthly_operating_expenses": numbers_typed(),
    "on_target_threshold": numbers_typed(high=3, places=4),
    "at_risk_threshold": numbers_typed(high=3, places=4),
    "misalignment_tolerance": fractions_typed(),
}
ROLE_NUMBERS = {
    "annual_ote": numbers_typed(),
    "annual_base": numbers_typed(high=10**4),
    "monthly_quota": numbers_typed(high=200),
    "commission_rate": fractions_typed(),
}


def configuration_form(world: World) -> tuple[dict[str, str], dict[str, st.SearchStrategy]]:
    """The Configuration form as the page fills it from the stored values, and a hostile draw per input."""
    org_settings = OrganizationSettings.unscoped.get(organization=world.organization)
    valid = {f"org-{name}": decimal_text(getattr(org_settings, name)) for name in SETTINGS_NUMBERS}
    valid |= {"org-currency": org_settings.currency, "org-timezone": org_settings.timezone}
    valid["org-comp_model"] = org_settings.comp_model
    valid["org-fiscal_year_start"] = str(org_settings.fiscal_year_start)
    hostile = {f"org-{name}": strategy for name, strategy in SETTINGS_NUMBERS.items()}
    hostile |= {
        "org-currency": texts_typed("USD", "eur", "EURO"),
        "org-timezone": choices_typed("UTC", "Europe/Paris", "Mars/Olympus"),
        "org-comp_model": choices_typed("commission_only", "mixed"),
        "org-fiscal_year_start": choices_typed("1", "4", "12", "13", "0", "April"),
        "org-leaderboard_visible_to_reps": choices_typed("on", "", "off"),
    }
    for role in SalesRole.unscoped.filter(organization=world.organization).order_by("position"):
        prefix = f"role-{role.key}-"
        valid |= {prefix + name: decimal_text(getattr(role, name)) for name in ROLE_NUMBERS}
        valid |= {prefix + "name": role.name, prefix + "ramp": "", prefix + "accelerators-from": ""}
        valid[prefix + "accelerators-multiplier"] = ""
        hostile |= {prefix + name: strategy for name, strategy in ROLE_NUMBERS.items()}
        hostile |= {
            prefix + "name": texts_typed("Closers", "Senior closers"),
            prefix + "ramp": st.sampled_from(["0.5, 0.75", "0.5;1", "0, 1", "1.5", "0.12345", "0.5 " * 40])
            | unicode_text,
            prefix + "accelerators-from": st.sampled_from(["0", "1.0", "1.5", "-1"]) | numbers_typed(high=3),
            prefix + "accelerators-multiplier": st.sampled_from(["1", "1.5", "0", "-2"]) | numbers_typed(high=3),
        }
    return valid, hostile


def draw_configuration(world: World, data: st.DataObject, tail: str) -> Request:
    valid, hostile = configuration_form(world)
    return Request(with_month_query(data, org_path(world, tail)), mutated(data, valid, hostile))


def check_configuration_save(world: World, request: Request, sent: Sent) -> None:
    posted = sent.posted
    org_settings = OrganizationSettings.unscoped.get(organization=world.organization)
    shown = input_values(sent.html)[0] if sent.htmx else {}
    for name in SETTINGS_NUMBERS:
        stored = getattr(org_settings, name)
        assert stored == typed_number(posted[f"org-{name}"]), name
        assert shown.get(f"org-{name}", decimal_text(stored)) == decimal_text(stored), name
    assert org_settings.currency == posted["org-currency"].strip().upper()
    assert org_settings.timezone == posted["org-timezone"]
    assert org_settings.fiscal_year_start == int(posted["org-fiscal_year_start"])
    visible = posted.get("org-leaderboard_visible_to_reps", "").lower() not in ("", "false")  # Django's checkbox
    assert org_settings.leaderboard_visible_to_reps == visible
    for role in SalesRole.unscoped.filter(organization=world.organization):
        prefix = f"role-{role.key}-"
        assert role.name == posted[prefix + "name"].strip()
        for name in ROLE_NUMBERS:
            assert getattr(role, name) == typed_number(posted[prefix + name]), prefix + name
            assert shown.get(prefix + name, decimal_text(getattr(role, name))) == decimal_text(getattr(role, name))
        steps = [part for part in posted.get(prefix + "ramp", "").replace(",", " ").replace(";", " ").split() if part]
        assert [Decimal(step) for step in role.ramp] == [Decimal(step) for step in steps]


def check_align(world: World, request: Request, sent: Sent) -> None:
    role = SalesRole.unscoped.get(organization=world.organization, key=sent.posted["role"])
    field = sent.posted["field"]
    shown = sent.html if sent.htmx else messages_text(sent)
    now = money(role.annual_ote) if field == "annual_ote" else ""
    assert f"{ALIGN_NOUNS[field]} set from" in shown and f"to {now}" in shown


def draw_role_add(world: World, data: st.DataObject) -> Request:
    valid = {"new-role-key": "senior_closer", "new-role-name": "Senior closers", "new-role-kind": "closer"}
    hostile = {
        "new-role-key": texts_typed("senior_closer", "closer", "Senior-Closer", "a" * 51, "bad key"),
        "new-role-name": texts_typed("Senior closers"),
        "new-role-kind": choices_typed(*ROLE_KEYS),
    }
    return Request(with_month_query(data, org_path(world, "configuration/roles/add/")), mutated(data, valid, hostile))


def check_role_add(world: World, request: Request, sent: Sent) -> None:
    posted = sent.posted
    role = SalesRole.unscoped.get(organization=world.organization, key=posted["new-role-key"].strip())
    assert (role.name, role.kind) == (posted["new-role-name"].strip(), posted["new-role-kind"])
    shown = sent.html if sent.htmx else messages_text(sent)
    assert f"Role {escape(role.name) if sent.htmx else role.name} added" in shown


def draw_config_import(world: World, data: st.DataObject) -> Request:
    content = data.draw(config_files(roles=ROLE_KEYS, reps=world.rep_names), label="json")
    kind = data.draw(st.sampled_from(["application/json", "text/csv", "image/png"]), label="file type")
    return Request(
        with_month_query(data, org_path(world, "configuration/import/")),
        {"file": Upload("configuration.json", content, kind)},
        context={"content": content},
    )


def check_config_preview(world: World, request: Request, sent: Sent) -> None:
    """A file accepted by the import is only previewed: what it would change, and the button that applies it."""
    assert "what this file will change" in sent.html


def draw_config_import_apply(world: World, data: st.DataObject) -> Request:
    """The preview's signed copy of a drawn file (with the version and change set it showed), or a forged one."""
    from django.core import signing

    from oteapp.files.configuration import ConfigImportError, config_import_preview
    from oteapp.selectors import configuration_version, organization_roles, organization_settings_get

    content = data.draw(config_files(roles=ROLE_KEYS, reps=world.rep_names), label="json")
    text = content.decode("utf-8", errors="surrogateescape")
    with organization_context(world.organization):
        version = configuration_version(
            settings=organization_settings_get(organization=world.organization),
            roles=organization_roles(organization=world.organization),
        )
        try:
            fingerprint = config_import_preview(organization=world.organization, data=content).fingerprint()
        except ConfigImportError:
            fingerprint = "refused"
    salt = f"oteapp.files.configuration:{world.organization.pk}:{world.owner.pk}"
    token = signing.dumps({"json": text, "version": version, "preview": fingerprint}, salt=salt, compress=True)
    token = data.draw(st.sampled_from([token, token, token, token[:-3] + "abc"]) | unicode_text, label="token")
    return Request(
        with_month_query(data, org_path(world, "configuration/import/apply/")),
        {"token": token},
        context={"content": text},
    )


def check_config_import(world: World, request: Request, sent: Sent) -> None:
    import json

    from oteapp.files.configuration import config_export

    document = json.loads(request.context["content"], parse_float=Decimal, parse_int=Decimal)
    with organization_context(world.organization):
        exported = config_export(organization=world.organization)
    if document.get("version") == "1.1":
        quotas = document["ote_quotas"]
        by_kind = {role["kind"]: role for role in exported["roles"].values()}
        assert Decimal(str(by_kind["closer"]["annual_ote"])) == Decimal(str(quotas["closer_ote"]))
        assert Decimal(str(by_kind["setter"]["monthly_quota"])) == Decimal(str(quotas["setter_quota_meetings"]))
        return
    for name, value in document.get("organization", {}).items():
        _assert_same(exported["organization"][name], value, name)
    for key, role in document.get("roles", {}).items():
        for name, value in role.items():
            if name not in ("ramp", "accelerators"):
                _assert_same(exported["roles"][key][name], value, f"{key}.{name}")
    names = {rep["name"] for rep in exported["reps"]}
    assert {rep["name"].strip() for rep in document.get("reps", [])} <= names
    if "roles" in document:  # the file is the configuration: its roles, no others
        assert set(exported["roles"]) == set(document["roles"])


def draw_role_delete(world: World, data: st.DataObject) -> Request:
    from oteapp.selectors import configuration_version, organization_roles, organization_settings_get

    key = data.draw(st.sampled_from(ROLE_KEYS) | texts_typed("senior_closer"), label="role")
    with organization_context(world.organization):
        version = configuration_version(
            settings=organization_settings_get(organization=world.organization),
            roles=organization_roles(organization=world.organization),
        )
    path = org_path(world, f"configuration/roles/{quote(key, safe='', errors='surrogatepass')}/delete/")
    return Request(with_month_query(data, path), mutated(data, {"version": version}, {"version": unicode_text}))


PLAN_NUMBERS = {
    "annual_ote": numbers_typed(),
    "annual_base": numbers_typed(high=10**5),
    "monthly_quota": numbers_typed(high=200),
    "commission_rate": fractions_typed(),
    "monthly_draw": numbers_typed(high=10**4),
}


def draw_rep_plan(world: World, data: st.DataObject, tail: str = "") -> Request:
    from oteapp.services.configuration import rep_plan_version

    name = data.draw(st.sampled_from(world.rep_names), label="rep")
    rep = world.reps[name]
    rep_id = data.draw(st.sampled_from([rep.pk, rep.pk, rep.pk, NO_SUCH_ID]), label="rep id")
    prefix = f"plan-{rep.pk}-"
    valid = {prefix + name: "" for name in PLAN_NUMBERS} | {prefix + "version": rep_plan_version(rep)}
    hostile = {prefix + name: strategy for name, strategy in PLAN_NUMBERS.items()}
    hostile[prefix + "version"] = unicode_text
    path = org_path(world, f"configuration/reps/{rep_id}/plan/{tail}")
    return Request(with_month_query(data, path), mutated(data, valid, hostile), context={"rep": rep})


def check_rep_plan(world: World, request: Request, sent: Sent) -> None:
    rep = Rep.unscoped.get(pk=request.context["rep"].pk)
    prefix = f"plan-{rep.pk}-"
    for name in PLAN_NUMBERS:
        typed = sent.posted.get(prefix + name, "")
        assert getattr(rep, name) == typed_number(typed), name


def check_rep_plan_preview(world: World, request: Request, sent: Sent) -> None:
    assert "Live calculations for" in sent.html


def _assert_same(stored: object, typed: object, where: str) -> None:
    if isinstance(typed, str) and not isinstance(stored, int | float):
        assert stored == typed.strip() or stored == typed, where
    else:
        assert Decimal(str(stored)) == Decimal(str(typed).strip()), where


# --- What-If ----------------------------------------------------------------------------------------------

WHATIF_SETTINGS = {
    "deal_value": numbers_typed(),
    "meeting_to_deal_rate": fractions_typed(),
    "monthly_operating_expenses": numbers_typed(),
}
WHATIF_ROLE = {
    "annual_ote": numbers_typed(),
    "monthly_quota": numbers_typed(high=200),
    "commission_rate": fractions_typed(),
}


def draw_whatif_apply(world: World, data: st.DataObject) -> Request:
    valid = {"target_revenue": "", "deal_value": "12000", "meeting_to_deal_rate": "", "monthly_operating_expenses": ""}
    hostile = dict(WHATIF_SETTINGS) | {"target_revenue": numbers_typed(high=10**7)}
    for key in ROLE_KEYS:
        prefix = f"role-{key}-"
        valid |= {prefix + "headcount": "", prefix + "productivity_change": ""}
        valid |= {prefix + name: "" for name in WHATIF_ROLE}
        hostile |= {prefix + name: strategy for name, strategy in WHATIF_ROLE.items()}
        hostile[prefix + "headcount"] = st.sampled_from(["0", "3", "5000", "5001", "-1", "1e3"]) | unicode_text
        hostile[prefix + "productivity_change"] = numbers_typed(low=-100, high=1000)
    return Request(with_month_query(data, org_path(world, "what-if/apply/")), mutated(data, valid, hostile))


def check_whatif_apply(world: World, request: Request, sent: Sent) -> None:
    posted = sent.posted
    org_settings = OrganizationSettings.unscoped.get(organization=world.organization)
    for name in WHATIF_SETTINGS:
        typed = typed_number(posted.get(name, ""))
        if typed is not None:
            assert getattr(org_settings, name) == typed, name
    for role in SalesRole.unscoped.filter(organization=world.organization):
        for name in WHATIF_ROLE:
            typed = typed_number(posted.get(f"role-{role.key}-{name}", ""))
            if typed is not None:
                assert getattr(role, name) == typed, (role.key, name)


# --- the Plan lab -----------------------------------------------------------------------------------------


def draw_plans_optimize(world: World, data: st.DataObject) -> Request:
    valid = {"share": "0.5", "cap": "0.2", "months": "12"} | {f"target_{key}": "" for key in ROLE_KEYS}
    hostile = {
        "share": fractions_typed() | numbers_typed(low=-2, high=3),
        "cap": fractions_typed() | numbers_typed(low=-2, high=3),
        "months": numbers_typed(low=-5, high=200, places=0),
    } | {f"target_{key}": numbers_typed(high=10**9) for key in ROLE_KEYS}
    return Request(org_path(world, "plans/optimize/"), mutated(data, valid, hostile))


def check_plans_optimize(world: World, request: Request, sent: Sent) -> None:
    assert "Propose a plan" in sent.html


def _plan_lab_salt(world: World) -> str:
    return f"oteapp.plan_lab:{world.organization.pk}:{world.owner.pk}"


def _world_document(world: World) -> dict:
    from oteapp.files.configuration import plan_document
    from oteapp.selectors import organization_config_get

    with organization_context(world.organization):
        return plan_document(
            organization=world.organization, config=organization_config_get(organization=world.organization)
        )


def draw_plans_draft_save(world: World, data: st.DataObject) -> Request:
    from django.core import signing

    token = signing.dumps({"document": _world_document(world), "source": "Fuzz"}, salt=_plan_lab_salt(world))
    valid = {"token": token, "name": "Proposal"}
    hostile = {"token": unicode_text, "name": texts_typed("Proposal", "Another")}
    return Request(org_path(world, "plans/drafts/save/"), mutated(data, valid, hostile))


def check_plans_draft_saved(world: World, request: Request, sent: Sent) -> None:
    from oteapp.models import PlanDraft

    name = " ".join(str(sent.posted.get("name", "")).split())
    assert PlanDraft.unscoped.filter(organization=world.organization, name=name).exists()


def draw_plans_draft_upload(world: World, data: st.DataObject) -> Request:
    content = data.draw(config_files(roles=ROLE_KEYS, reps=world.rep_names), label="json")
    name = data.draw(texts_typed("Uploaded plan"), label="name")
    return Request(
        org_path(world, "plans/drafts/upload/"),
        {"name": name, "file": Upload("plan.json", content, "application/json")},
    )


def draw_plans_draft_edited(world: World, data: st.DataObject) -> Request:
    valid = {"edited-name": "Edited plan"}
    hostile = {"edited-name": texts_typed("Edited plan", "Another")}
    for role in SalesRole.unscoped.filter(organization=world.organization):
        for name, strategy in (
            ("annual_ote", numbers_typed()),
            ("annual_base", numbers_typed(high=10**5)),
            ("monthly_quota", numbers_typed(low=-5, high=200)),
            ("commission_rate", fractions_typed()),
        ):
            valid[f"edited-{role.key}-{name}"] = decimal_text(getattr(role, name)) or "0"
            hostile[f"edited-{role.key}-{name}"] = strategy
    return Request(org_path(world, "plans/drafts/edited/"), mutated(data, valid, hostile))


def check_plans_draft_edited(world: World, request: Request, sent: Sent) -> None:
    from oteapp.models import PlanDraft

    name = " ".join(str(sent.posted.get("edited-name", "")).split())
    draft = PlanDraft.unscoped.get(organization=world.organization, name=name)
    for key, role in draft.configuration["roles"].items():
        typed = typed_number(str(sent.posted.get(f"edited-{key}-monthly_quota", "")))
        assert Decimal(str(role["monthly_quota"])) == typed, key


def _world_draft(world: World):
    from oteapp.models import PlanDraft

    with organization_context(world.organization):
        return PlanDraft.objects.create(
            organization=world.organization, name="Fuzz draft", configuration=_world_document(world)
        )


def draw_plans_draft_delete(world: World, data: st.DataObject) -> Request:
    draft = _world_draft(world)
    draft_id = data.draw(st.sampled_from([draft.pk, draft.pk, NO_SUCH_ID]), label="draft id")
    return Request(
        org_path(world, f"plans/drafts/{draft_id}/delete/"),
        mutated(data, {}, {"x": unicode_text}),
        context={"draft": draft},
    )


def check_plans_draft_delete(world: World, request: Request, sent: Sent) -> None:
    from oteapp.models import PlanDraft

    assert not PlanDraft.unscoped.filter(pk=request.context["draft"].pk).exists()


def draw_plans_draft_rename(world: World, data: st.DataObject) -> Request:
    draft = _world_draft(world)
    draft_id = data.draw(st.sampled_from([draft.pk, draft.pk, NO_SUCH_ID]), label="draft id")
    return Request(
        org_path(world, f"plans/drafts/{draft_id}/rename/"),
        mutated(data, {"name": "Renamed plan"}, {"name": texts_typed("Renamed plan", "Another")}),
        context={"draft": draft},
    )


def check_plans_draft_rename(world: World, request: Request, sent: Sent) -> None:
    from oteapp.models import PlanDraft

    name = " ".join(str(sent.posted.get("name", "")).split())
    assert PlanDraft.unscoped.get(pk=request.context["draft"].pk).name == name


def draw_plans_draft_apply(world: World, data: st.DataObject) -> Request:
    from django.core import signing

    from oteapp.selectors import configuration_version, organization_roles, organization_settings_get
    from oteapp.services.configuration import configuration_import_preview
    from oteapp.services.plan_drafts import draft_text

    draft = _world_draft(world)
    organization = world.organization
    with organization_context(organization):
        preview = configuration_import_preview(organization=organization, data=draft_text(draft))
        version = configuration_version(
            settings=organization_settings_get(organization=organization),
            roles=organization_roles(organization=organization),
        )
    token = signing.dumps({"version": version, "preview": preview.fingerprint()}, salt=_plan_lab_salt(world))
    return Request(
        org_path(world, f"plans/drafts/{draft.pk}/apply/"),
        mutated(data, {"token": token}, {"token": unicode_text}),
        context={"draft": draft},
    )


def check_plans_draft_apply(world: World, request: Request, sent: Sent) -> None:
    assert AuditEvent.unscoped.filter(organization=world.organization, action="plan_draft_apply").exists()


# --- digests and snapshots --------------------------------------------------------------------------------


def draw_digest_preferences(world: World, data: st.DataObject) -> Request:
    fields = {"receives_digests": data.draw(choices_typed("on", "off", ""), label="receives_digests")}
    if rarely(data, "unchecked", 1 / 5):
        fields = {}  # an unchecked box is not sent at all
    return Request(org_path(world, "digests/"), fields)


def check_digest_preferences(world: World, request: Request, sent: Sent) -> None:
    wanted = sent.posted.get("receives_digests") == "on"
    assert Membership.unscoped.get(pk=world.owner_membership.pk).receives_digests is wanted
    assert ("Monthly digests are on." if wanted else "Monthly digests are off.") in messages_text(sent)


def draw_digest_preview(world: World, data: st.DataObject) -> Request:
    month = data.draw(months_typed("2026-10", "2025-06", "", "2026-11"), label="month")
    return Request(org_path(world, "digests/preview/"), {"month": month})


def check_digest_preview(world: World, request: Request, sent: Sent) -> None:
    previews = [message for message in mail.outbox if message.to == [world.owner.email]]
    assert len(previews) == 1 and "[Preview]" in previews[0].subject


def draw_snapshot_reopen(world: World, data: st.DataObject) -> Request:
    month = data.draw(months_typed("2025-06", "2026-10", "2024-01"), label="month")
    path = org_path(world, f"snapshots/{quote(month, safe='', errors='surrogatepass')}/reopen/")
    return Request(path, mutated(data, {}, {"confirm": unicode_text}), context={"month": month})


def check_snapshot_reopen(world: World, request: Request, sent: Sent) -> None:
    month = parse_month(request.context["month"])
    subject = f"Snapshot {format_month(month)}"
    assert AuditEvent.unscoped.filter(organization=world.organization, action="snapshot_reopen", subject=subject)
    assert f"{month:%B %Y} was recomputed with the current configuration" in messages_text(sent)


# --- Members and the organization -------------------------------------------------------------------------


def draw_invite(world: World, data: st.DataObject) -> Request:
    valid = {"email": "someone@example.com", "role": "manager"}
    hostile = {
        "email": texts_typed("Some@Example.com ", "manager@acme.example", "new.person@acme.example", "zo@exämple.com")
        | st.emails(),
        "role": choices_typed(*ACCESS_LEVELS),
    }
    return Request(org_path(world, "members/invite/"), mutated(data, valid, hostile))


def check_invite(world: World, request: Request, sent: Sent) -> None:
    email = sent.posted["email"].strip().lower()
    invitation = Invitation.unscoped.filter(organization=world.organization, email=email).latest("pk")
    assert invitation.role == sent.posted["role"]
    assert [message.to for message in mail.outbox] == [[email]]
    assert f"Invitation sent to {email}." in messages_text(sent)


def _membership_path(world: World, data: st.DataObject, action: str) -> tuple[str, Membership | None]:
    membership = data.draw(st.sampled_from([world.manager, world.owner_membership, None]), label="membership")
    return org_path(world, f"members/{membership.pk if membership else NO_SUCH_ID}/{action}/"), membership


def draw_member_role(world: World, data: st.DataObject) -> Request:
    path, membership = _membership_path(world, data, "role")
    fields = mutated(data, {"role": "admin"}, {"role": choices_typed(*ACCESS_LEVELS)})
    return Request(path, fields, context={"membership": membership})


def check_member_role(world: World, request: Request, sent: Sent) -> None:
    membership = Membership.unscoped.get(pk=request.context["membership"].pk)
    assert membership.role == sent.posted["role"]


def draw_member_remove(world: World, data: st.DataObject) -> Request:
    path, membership = _membership_path(world, data, "remove")
    return Request(path, mutated(data, {}, {"confirm": unicode_text}), context={"membership": membership})


def check_member_remove(world: World, request: Request, sent: Sent) -> None:
    assert not Membership.unscoped.filter(pk=request.context["membership"].pk).exists()
    assert "was removed" in messages_text(sent)


def _invitation_path(world: World, data: st.DataObject, action: str) -> tuple[str, Invitation | None]:
    invitation = data.draw(st.sampled_from([world.invitation, None]), label="invitation")
    return org_path(world, f"members/invitations/{invitation.pk if invitation else NO_SUCH_ID}/{action}/"), invitation


def draw_invitation_resend(world: World, data: st.DataObject) -> Request:
    path, invitation = _invitation_path(world, data, "resend")
    return Request(path, mutated(data, {}, {"x": unicode_text}), context={"invitation": invitation})


def check_invitation_resend(world: World, request: Request, sent: Sent) -> None:
    invitation = request.context["invitation"]
    assert [message.to for message in mail.outbox] == [[invitation.email]]
    assert Invitation.unscoped.get(pk=invitation.pk).sent_at > invitation.sent_at
    assert f"Invitation sent again to {invitation.email}" in messages_text(sent)


def draw_invitation_revoke(world: World, data: st.DataObject) -> Request:
    path, invitation = _invitation_path(world, data, "revoke")
    return Request(path, mutated(data, {}, {"x": unicode_text}), context={"invitation": invitation})


def check_invitation_revoke(world: World, request: Request, sent: Sent) -> None:
    assert not Invitation.unscoped.filter(pk=request.context["invitation"].pk).exists()
    assert "was withdrawn" in messages_text(sent)


def draw_organization_delete(world: World, data: st.DataObject) -> Request:
    slug = world.slug
    confirm = data.draw(choices_typed(slug, f" {slug} ", slug.upper(), slug[:-1]), label="confirm")
    return Request(org_path(world, "organization/delete/"), {"confirm": confirm})


def check_organization_delete(world: World, request: Request, sent: Sent) -> None:
    assert not Organization.objects.filter(pk=world.organization.pk).exists()
    assert "and all of its data were deleted" in messages_text(sent)


def draw_organization_create(world: World, data: st.DataObject) -> Request:
    name = data.draw(texts_typed("New Co", "  Spaced   Co  ", "Ünïcode GmbH"), label="name")
    return Request("/organizations/new/", {"name": name})


def check_organization_create(world: World, request: Request, sent: Sent) -> None:
    organization = Organization.objects.exclude(pk=world.organization.pk).get()
    assert organization.name == sent.posted["name"].strip()
    assert Membership.unscoped.filter(organization=organization, user=world.owner, role=MemberRole.OWNER).exists()
    assert sent.response["Location"] == f"/o/{organization.slug}/configuration/"


def _token(data: st.DataObject, token: str) -> str:
    broken = st.sampled_from(["", "x", token[:-2], token + "x", token.replace(":", "."), "..", "%00"])
    return data.draw(st.sampled_from([token, token]) | broken | unicode_text, label="token")


def draw_invitation_accept(world: World, data: st.DataObject) -> Request:
    """Signed out (the sign-up form), or signed in as the owner, who is not the invited person and so is
    always refused (issue 14 item 1)."""
    token = _token(data, world.invitation_token)
    signed_in = data.draw(st.booleans(), label="signed in")
    valid = {"first_name": "Nia", "password1": PASSWORD, "password2": PASSWORD}
    hostile = {"first_name": texts_typed("Nia"), "password1": texts_typed(PASSWORD), "password2": texts_typed(PASSWORD)}
    return Request(
        f"/invitations/{quote(token, safe='', errors='surrogatepass')}/",
        mutated(data, valid, hostile),
        client=None if signed_in else anonymous(),
        context={"signed_in": signed_in},
    )


def check_invitation_accept(world: World, request: Request, sent: Sent) -> None:
    assert not request.context["signed_in"], "the owner accepted an invitation sent to someone else"
    invitation = Invitation.unscoped.get(pk=world.invitation.pk)
    assert invitation.accepted_at is not None
    user = User.objects.get(email=invitation.email)
    assert invitation.accepted_by == user
    assert Membership.unscoped.filter(organization=world.organization, user=user).exists()
    assert f"Welcome to {world.organization.name}." in messages_text(sent)


def draw_unsubscribe(world: World, data: st.DataObject) -> Request:
    path = f"/digests/unsubscribe/{quote(_token(data, world.unsubscribe_token), safe='', errors='surrogatepass')}/"
    return Request(path, mutated(data, {}, {"x": unicode_text}), anonymous())


def check_unsubscribe(world: World, request: Request, sent: Sent) -> None:
    assert Membership.unscoped.get(pk=world.manager.pk).receives_digests is False


def draw_statement_unsubscribe(world: World, data: st.DataObject) -> Request:
    token = statement_unsubscribe_url(organization_id=world.organization.pk, rep_id=world.reps["Ben"].pk)
    token = token.rstrip("/").rsplit("/", 1)[1]
    path = f"/statements/unsubscribe/{quote(_token(data, token), safe='', errors='surrogatepass')}/"
    return Request(path, mutated(data, {}, {"x": unicode_text}), anonymous())


def check_statement_unsubscribe(world: World, request: Request, sent: Sent) -> None:
    assert Rep.unscoped.get(pk=world.reps["Ben"].pk).receives_statement_emails is False


def draw_signup(world: World, data: st.DataObject) -> Request:
    valid = {
        "email": "founder@newco.example",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "organization_name": "New Co",
        "first_name": "Fay",
    }
    hostile = {
        "email": texts_typed("founder@newco.example", "owner@acme.example") | st.emails(),
        "password1": texts_typed(PASSWORD),
        "password2": texts_typed(PASSWORD),
        "organization_name": texts_typed("New Co", "Acme Insurance"),
        "first_name": texts_typed("Fay"),
    }
    known = set(User.objects.values_list("pk", flat=True))
    return Request("/accounts/signup/", mutated(data, valid, hostile), anonymous(), context={"known": known})


def check_signup(world: World, request: Request, sent: Sent) -> None:
    user = User.objects.get(email__iexact=sent.posted["email"].strip())
    if user.pk in request.context["known"]:
        # A taken address gets the same answer as a new one (allauth prevents account enumeration) and an
        # email instead; nothing is created.
        assert not Organization.objects.exclude(pk=world.organization.pk).exists()
        return
    organization = Membership.unscoped.select_related("organization").get(user=user, role=MemberRole.OWNER).organization
    assert organization.name == sent.posted["organization_name"].strip()


def draw_junk(path: str) -> Callable[[World, st.DataObject], Request]:
    """A route that takes no fields: any body must be ignored or refused."""

    def draw(world: World, data: st.DataObject) -> Request:
        return Request(path, mutated(data, {}, {"x": unicode_text}))

    return draw



# --- Payouts (SPEC section 12) ------------------------------------------------------------------------------


def draw_adjustment_create(world: World, data: st.DataObject) -> Request:
    ids = [str(rep.pk) for rep in world.reps.values()]
    valid = {"month": "2026-10", "rep": str(world.reps["Ben"].pk), "kind": "bonus", "amount": "500",
             "reason": "Q3 SPIFF", "reverses_month": ""}
    hostile = {
        "month": months_typed("2026-10", "2026-09"),
        "rep": choices_typed(*ids, str(NO_SUCH_ID), "0", "-1", str(10**30)),
        "kind": choices_typed("bonus", "clawback", "correction"),
        "amount": numbers_typed(low=-10**4, high=10**4) | texts_typed("-1134", "$500", "0"),
        "reason": texts_typed("policy lapsed", "") | unicode_text,
        "reverses_month": months_typed("2026-09", "2026-11", ""),
    }
    return Request(with_month_query(data, org_path(world, "payouts/adjustments/")), mutated(data, valid, hostile))


def check_adjustment_create(world: World, request: Request, sent: Sent) -> None:
    adjustment = Adjustment.unscoped.filter(organization=world.organization).latest("pk")
    assert adjustment.reason == sent.posted["reason"].strip() and adjustment.kind == sent.posted["kind"]
    assert AuditEvent.unscoped.filter(organization=world.organization, action="adjustment_add").exists()


def draw_adjustments_upload(world: World, data: st.DataObject) -> Request:
    header = data.draw(st.sampled_from(["month,rep,kind,amount,reason,reverses_month", "month,rep,kind,amount",
                                        "Month;Rep;Kind;Amount;Reason"]), label="header")
    rows = data.draw(st.lists(st.tuples(
        months_typed("2026-10"), st.sampled_from([*world.rep_names, "Nobody"]),
        choices_typed("bonus", "clawback", "correction"), numbers_typed(low=-500, high=500),
        texts_typed("contest", ""), months_typed("2026-09", ""),
    ), max_size=4), label="rows")
    text = header + "\n" + "".join(",".join(row) + "\n" for row in rows)
    content = text.encode("utf-8", "surrogatepass")
    fields: dict[str, str | Upload] = {"adjustments-file": Upload("adjustments.csv", content, "text/csv")}
    return Request(with_month_query(data, org_path(world, "payouts/adjustments/upload/")), fields)


def draw_payouts_approve(world: World, data: st.DataObject) -> Request:
    month = data.draw(months_typed("2026-10", "2025-06", "2099-01"), label="month")
    path = org_path(world, f"payouts/{quote(month, safe='', errors='surrogatepass')}/approve/")
    return Request(path, mutated(data, {}, {"confirm": unicode_text}), context={"month": month})


def check_payouts_approve(world: World, request: Request, sent: Sent) -> None:
    month = parse_month(request.context["month"])
    assert MonthApproval.unscoped.get(organization=world.organization, month=month).approved
    assert f"Payouts of {month:%B %Y} approved." in messages_text(sent)


def draw_payouts_reopen(world: World, data: st.DataObject) -> Request:
    month = data.draw(months_typed("2026-10", "2025-06"), label="month")
    path = org_path(world, f"payouts/{quote(month, safe='', errors='surrogatepass')}/reopen/")
    return Request(path, mutated(data, {"reason": "late SPIFF"}, {"reason": texts_typed("") | unicode_text}))


def draw_rep_invite(world: World, data: st.DataObject) -> Request:
    ids = [str(rep.pk) for rep in world.reps.values()]
    rep_id = data.draw(st.sampled_from([*ids, str(NO_SUCH_ID)]), label="rep")
    return Request(org_path(world, f"reps/{rep_id}/invite/"), mutated(data, {}, {"confirm": unicode_text}))


# --- Integrations: API keys and webhook endpoints ----------------------------------------------------------


def draw_api_key_create(world: World, data: st.DataObject) -> Request:
    valid = {"name": "HubSpot sync", "scope": "read"}
    hostile = {
        "name": texts_typed("HubSpot sync", "  Payroll   export ", "x" * 101),
        "scope": choices_typed("read", "write"),
    }
    return Request(org_path(world, "integrations/keys/"), mutated(data, valid, hostile))


def check_api_key_create(world: World, request: Request, sent: Sent) -> None:
    name = " ".join(sent.posted["name"].split())
    api_key = ApiKey.unscoped.get(organization=world.organization, name=name, revoked_at__isnull=True)
    assert api_key.scope == sent.posted["scope"]
    assert world.client.session.get("integrations_new_api_key", {}).get("name") == name


def _api_key_path(world: World, data: st.DataObject) -> tuple[str, ApiKey | None]:
    with organization_context(world.organization):
        api_key, _ = api_key_create(organization=world.organization, actor=None, name="Fuzzed", scope="read")
    chosen = data.draw(st.sampled_from([api_key, None]), label="api_key")
    return org_path(world, f"integrations/keys/{chosen.pk if chosen else NO_SUCH_ID}/revoke/"), chosen


def draw_api_key_revoke(world: World, data: st.DataObject) -> Request:
    path, api_key = _api_key_path(world, data)
    return Request(path, mutated(data, {}, {"x": unicode_text}), context={"api_key": api_key})


def check_api_key_revoke(world: World, request: Request, sent: Sent) -> None:
    assert ApiKey.unscoped.get(pk=request.context["api_key"].pk).revoked_at is not None
    assert "was revoked" in messages_text(sent)


def draw_webhook_create(world: World, data: st.DataObject) -> Request:
    # A public address given by number (no DNS); loopback and plain HTTP are refused outside development.
    valid = {"url": "https://93.184.215.14/hooks", "description": "", "event_types": "month.closed"}
    hostile = {
        "url": texts_typed("https://93.184.215.14/hooks", "http://93.184.215.14/hooks", "https://127.0.0.1/x"),
        "description": texts_typed("CRM", "x" * 201),
        "event_types": choices_typed("month.closed", "payouts.approved", "actuals.changed"),
    }
    return Request(org_path(world, "integrations/webhooks/"), mutated(data, valid, hostile))


def check_webhook_create(world: World, request: Request, sent: Sent) -> None:
    endpoint = WebhookEndpoint.unscoped.get(organization=world.organization, url=sent.posted["url"].strip())
    assert endpoint.event_types == [sent.posted["event_types"]]
    assert endpoint.secret.startswith("whsec_")


def _endpoint_path(world: World, data: st.DataObject, action: str) -> tuple[str, WebhookEndpoint | None]:
    # Loopback, which these settings refuse: a test event is attempted and logged without leaving the machine.
    endpoint = WebhookEndpoint.unscoped.create(
        organization=world.organization,
        url="https://127.0.0.1:9/hooks",
        event_types=["month.closed"],
        secret="whsec_" + "QUJD" * 8,
        disabled_at=None,
    )
    chosen = data.draw(st.sampled_from([endpoint, None]), label="endpoint")
    return org_path(world, f"integrations/webhooks/{chosen.pk if chosen else NO_SUCH_ID}/{action}/"), chosen


def draw_webhook_action(action: str) -> Callable[[World, st.DataObject], Request]:
    def draw(world: World, data: st.DataObject) -> Request:
        path, endpoint = _endpoint_path(world, data, action)
        return Request(path, mutated(data, {}, {"x": unicode_text}), context={"endpoint": endpoint})

    return draw


def check_webhook_test(world: World, request: Request, sent: Sent) -> None:
    assert WebhookDelivery.unscoped.filter(endpoint=request.context["endpoint"]).count() == 1
    assert "test event is on its way" in messages_text(sent)


def check_webhook_enable(world: World, request: Request, sent: Sent) -> None:
    assert WebhookEndpoint.unscoped.get(pk=request.context["endpoint"].pk).disabled_at is None


def check_webhook_delete(world: World, request: Request, sent: Sent) -> None:
    assert not WebhookEndpoint.unscoped.filter(pk=request.context["endpoint"].pk).exists()
    assert "was deleted" in messages_text(sent)


CASES: dict[str, Case] = {
    "oteapp:api_key_create": Case(draw_api_key_create, check_api_key_create),
    "oteapp:api_key_revoke": Case(draw_api_key_revoke, check_api_key_revoke),
    "oteapp:webhook_create": Case(draw_webhook_create, check_webhook_create),
    "oteapp:webhook_test": Case(draw_webhook_action("test"), check_webhook_test),
    "oteapp:webhook_enable": Case(draw_webhook_action("enable"), check_webhook_enable),
    "oteapp:webhook_delete": Case(draw_webhook_action("delete"), check_webhook_delete),
    "oteapp:actuals_row": Case(draw_actuals_row, check_actuals_row),
    "oteapp:actuals_row_remove": Case(draw_actuals_row_remove, check_actuals_row_remove),
    "oteapp:actuals_rep_create": Case(draw_rep_create, check_rep_create),
    "oteapp:actuals_rep_end": Case(draw_rep_end, check_rep_end),
    "oteapp:actuals_upload": Case(draw_upload, writes=False, encodings=FILE_ENCODINGS),
    "oteapp:actuals_upload_apply": Case(draw_upload_apply, check_upload_apply),
    "oteapp:configuration_preview": Case(
        lambda world, data: draw_configuration(world, data, "configuration/preview/"), writes=False
    ),
    "oteapp:configuration_save": Case(
        lambda world, data: draw_configuration(world, data, "configuration/save/"), check_configuration_save
    ),
    "oteapp:configuration_align": Case(
        lambda world, data: Request(
            with_month_query(data, org_path(world, "configuration/align/")),
            {
                "role": data.draw(choices_typed(*ROLE_KEYS), label="role"),
                "field": data.draw(choices_typed("annual_ote", "commission_rate", "monthly_quota"), label="field"),
            },
        ),
        check_align,
    ),
    "oteapp:configuration_role_add": Case(draw_role_add, check_role_add),
    "oteapp:configuration_import": Case(
        draw_config_import, check_config_preview, writes=False, encodings=FILE_ENCODINGS
    ),
    "oteapp:configuration_import_apply": Case(draw_config_import_apply, check_config_import),
    "oteapp:configuration_role_delete": Case(draw_role_delete),
    "oteapp:rep_plan": Case(draw_rep_plan, check_rep_plan),
    "oteapp:rep_plan_preview": Case(
        lambda world, data: draw_rep_plan(world, data, "preview/"), check_rep_plan_preview, writes=False
    ),
    "oteapp:whatif_apply": Case(draw_whatif_apply, check_whatif_apply),
    "oteapp:plans_optimize": Case(draw_plans_optimize, check_plans_optimize, writes=False),
    "oteapp:plans_draft_save": Case(draw_plans_draft_save, check_plans_draft_saved),
    "oteapp:plans_draft_upload": Case(draw_plans_draft_upload, check_plans_draft_saved, encodings=FILE_ENCODINGS),
    "oteapp:plans_draft_edited": Case(draw_plans_draft_edited, check_plans_draft_edited),
    "oteapp:plans_draft_rename": Case(draw_plans_draft_rename, check_plans_draft_rename),
    "oteapp:plans_draft_delete": Case(draw_plans_draft_delete, check_plans_draft_delete),
    "oteapp:plans_draft_apply": Case(draw_plans_draft_apply, check_plans_draft_apply),
    # No key in tests: the summary is off, and says so; nothing is stored either way.
    "oteapp:advisor_summary": Case(
        lambda world, data: draw_junk(org_path(world, "advisor/summary/"))(world, data), writes=False, refuses=False
    ),
    # A checkbox: anything but "on" means unchecked, and the answer says which it became.
    "oteapp:digest_preferences": Case(draw_digest_preferences, check_digest_preferences, refuses=False),
    "oteapp:digest_preview": Case(draw_digest_preview, check_digest_preview, writes=False),
    "oteapp:snapshot_reopen": Case(draw_snapshot_reopen, check_snapshot_reopen),
    "oteapp:adjustment_create": Case(draw_adjustment_create, check_adjustment_create),
    "oteapp:adjustments_upload": Case(draw_adjustments_upload),
    "oteapp:payouts_approve": Case(draw_payouts_approve, check_payouts_approve),
    "oteapp:payouts_reopen": Case(draw_payouts_reopen),
    "oteapp:rep_invite": Case(draw_rep_invite),
    "accounts:invite": Case(draw_invite, check_invite),
    "accounts:member_role": Case(draw_member_role, check_member_role),
    "accounts:member_remove": Case(draw_member_remove, check_member_remove),
    "accounts:invitation_resend": Case(draw_invitation_resend, check_invitation_resend),
    "accounts:invitation_revoke": Case(draw_invitation_revoke, check_invitation_revoke),
    "accounts:organization_delete": Case(draw_organization_delete, check_organization_delete),
    "organization_create": Case(draw_organization_create, check_organization_create),
    "invitation_accept": Case(draw_invitation_accept, check_invitation_accept),
    "digest_unsubscribe": Case(draw_unsubscribe, check_unsubscribe),
    "statement_unsubscribe": Case(draw_statement_unsubscribe, check_statement_unsubscribe),
    "account_signup": Case(draw_signup, check_signup),
    # allauth's secure_admin_login in front of the admin's own form: a redirect or a 403, never a sign-in.
    "admin:login": Case(draw_junk("/admin/login/"), writes=False, refuses=False),
    "home": Case(draw_junk("/"), writes=False, refuses=False),
    "healthz": Case(draw_junk("/healthz"), writes=False, refuses=False),
}
