"""Custom objects the tests define at run time, through the metadata services."""

from typing import Any

from crm.metadata import services as metadata


def define_project(ctx, *extra_fields: dict[str, Any]) -> str:
    """Define the custom object "project" with a currency ``budget`` and a
    Plan/Build/Run ``phase`` picklist, then one field per ``extra_fields``
    (``create_field`` keywords), in that order; return its api name."""
    metadata.create_object(ctx, api_name="project", label="Project")
    metadata.create_field(
        ctx, "project", name="budget", label="Budget", type="currency"
    )
    metadata.create_field(
        ctx,
        "project",
        name="phase",
        label="Phase",
        type="picklist",
        choices=["Plan", "Build", "Run"],
    )
    for field in extra_fields:
        metadata.create_field(ctx, "project", **field)
    return "project"
