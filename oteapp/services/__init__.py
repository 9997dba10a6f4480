"""Writes of the domain, one module per area (HackSoft style: keyword-only, explicit organization)."""

from oteapp.services.organizations import organization_defaults_create

__all__ = ["organization_defaults_create"]
