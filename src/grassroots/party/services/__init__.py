"""Every change to party organisations, members, organisational life and points: validated,
audited, each in its own transaction."""

from .orgs import (
    household_link_create,
    household_link_delete,
    member_counts,
    member_create,
    member_set_identity,
    member_transfer,
    org_findings,
    party_org_create,
    party_org_set_committee,
)

__all__ = [
    "household_link_create",
    "household_link_delete",
    "member_counts",
    "member_create",
    "member_set_identity",
    "member_transfer",
    "org_findings",
    "party_org_create",
    "party_org_set_committee",
]
