"""Plan drafts (SPEC section 15): candidate comp plans saved from the Plan lab, named, deleted, and applied through
the configuration import (its validation, its audit, its preview of every change). Each write is audited."""

import json
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Organization, User
from accounts.text import text_problem
from oteapp.files.configuration import ImportResult, candidate_config
from oteapp.models import PlanDraft
from oteapp.services.audit import audit_changes
from oteapp.services.configuration import configuration_import

ACTION_DRAFT_SAVE = "plan_draft_save"
ACTION_DRAFT_RENAME = "plan_draft_rename"
ACTION_DRAFT_DELETE = "plan_draft_delete"
ACTION_DRAFT_APPLY = "plan_draft_apply"
NAME_MAX_LENGTH = PlanDraft._meta.get_field("name").max_length
SOURCE_MAX_LENGTH = PlanDraft._meta.get_field("source").max_length


class DraftNameError(ValueError):
    """A draft name the organization cannot take (blank, too long, or another draft's in any case)."""


def _clean_name(organization: Organization, name: str, *, other_than: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise DraftNameError("Give the draft a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise DraftNameError(f"A draft name has at most {NAME_MAX_LENGTH} characters.")
    problem = text_problem(name)
    if problem:
        raise DraftNameError(f"The name {problem}.")
    # In any case: "Cap at 15%" and "cap at 15%" side by side in a comparison could not be told apart.
    taken = PlanDraft.objects.filter(organization=organization, name__iexact=name).exclude(pk=other_than).first()
    if taken is not None:
        raise DraftNameError(f"A draft named “{taken.name}” already exists; choose another name.")
    return name


def _subject(name: str) -> str:
    return f"plan draft {name}"


def plan_draft_create(
    *, organization: Organization, actor: User | None, name: str, configuration: dict[str, Any], source: str = ""
) -> PlanDraft:
    """Save a candidate plan (a 2.0 document) under a new name. The document is validated as an import and as a plan
    the backtest can run first: ConfigImportError names its problems and nothing is saved; DraftNameError for a
    name the organization cannot take."""
    candidate_config(organization=organization, data=configuration)
    with transaction.atomic():
        clean = _clean_name(organization, name)
        try:
            with transaction.atomic():
                draft = PlanDraft.objects.create(
                    organization=organization,
                    name=clean,
                    configuration=configuration,
                    source=source[:SOURCE_MAX_LENGTH],
                    created_by=actor,
                )
        except IntegrityError:  # saved by someone else between the check and the insert
            raise DraftNameError(f"A draft named “{clean}” already exists; choose another name.") from None
        audit_changes(
            organization=organization, actor=actor, action=ACTION_DRAFT_SAVE, subject=_subject(clean),
            changes=[("saved", "", source or "saved")],
        )
    return draft


def plan_draft_rename(*, organization: Organization, actor: User | None, draft_id: int, name: str) -> PlanDraft:
    with transaction.atomic():
        draft = PlanDraft.objects.select_for_update().get(organization=organization, pk=draft_id)
        clean = _clean_name(organization, name, other_than=draft.pk)
        if clean != draft.name:
            audit_changes(
                organization=organization, actor=actor, action=ACTION_DRAFT_RENAME, subject=_subject(draft.name),
                changes=[("name", draft.name, clean)],
            )
            draft.name = clean
            draft.save(update_fields=["name", "updated_at"])
    return draft


def plan_draft_delete(*, organization: Organization, actor: User | None, draft_id: int) -> None:
    with transaction.atomic():
        draft = PlanDraft.objects.select_for_update().get(organization=organization, pk=draft_id)
        audit_changes(
            organization=organization, actor=actor, action=ACTION_DRAFT_DELETE, subject=_subject(draft.name),
            changes=[("deleted", draft.name, "")],
        )
        draft.delete()


def draft_text(draft: PlanDraft) -> str:
    """The draft as the text of a configuration file, for the import and its preview."""
    return json.dumps(draft.configuration, indent=2, ensure_ascii=False)


def plan_draft_apply(
    *,
    organization: Organization,
    actor: User | None,
    draft_id: int,
    expected_version: str | None = None,
    expected_preview: str | None = None,
) -> ImportResult:
    """Make the draft the plan in force through the configuration import: every changed value is audited there
    (action config_import), and the draft's application here. From a confirmation, `expected_version` and
    `expected_preview` are what it showed (ConfigurationConflict / ImportPreviewChanged when either moved on,
    nothing written). The draft stays, so it can be compared with what comes next."""
    with transaction.atomic():
        draft = PlanDraft.objects.get(organization=organization, pk=draft_id)
        result = configuration_import(
            organization=organization, actor=actor, data=draft_text(draft),
            expected_version=expected_version, expected_preview=expected_preview,
        )
        audit_changes(
            organization=organization, actor=actor, action=ACTION_DRAFT_APPLY, subject=_subject(draft.name),
            changes=[("applied", "", result.summary())],
        )
    return result
