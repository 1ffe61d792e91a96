"""What a record page is made of, drawn from the registry: sections of
fields, the stage path, related lists, activity composers, timeline entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.urls import reverse
from django.utils.html import format_html

from accounts.access import Action, Context
from crm import forms as crm_forms
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType, PipelineSpec, StageSpec
from crm.query import timeline
from crm.views import display

_ADDRESS_PARTS = ("street", "city", "state", "postal_code", "country")


@dataclass(frozen=True)
class Section:
    title: str
    cells: list[display.Cell]


def _section_of(object_type: ObjectType, spec: FieldSpec) -> str:
    if spec.read_only or spec.name in display.AUDIT:
        return "System information"
    for part in _ADDRESS_PARTS:
        if spec.name == part:
            return "Address"
        if spec.name.endswith(f"_{part}"):
            prefix = spec.name[: -len(part) - 1].replace("_", " ")
            return f"{prefix.capitalize()} address"
    if spec.type.key == "long_text":
        return "Description"
    if spec.is_custom and not object_type.is_custom:
        return "Additional fields"
    return "Details"


def sections(object_type: ObjectType, cells: list[display.Cell]) -> list[Section]:
    """Fields grouped: details, addresses, additional (custom) fields,
    description, then what the system keeps."""
    groups: dict[str, list[display.Cell]] = {"Details": []}
    for c in cells:
        if c.column.name in ("id", object_type.name_field):
            continue
        groups.setdefault(_section_of(object_type, c.column.spec), []).append(c)
    order = ["Details"]
    order += [t for t in groups if t.endswith("ddress")]
    order += ["Additional fields", "Description", "System information"]
    return [Section(t, groups[t]) for t in order if groups.get(t)]


@dataclass(frozen=True)
class PathStage:
    stage: StageSpec
    state: str  # done | current | todo


@dataclass(frozen=True)
class StagePath:
    pipeline: PipelineSpec
    stages: list[PathStage]
    current: StageSpec | None
    next: StageSpec | None


def stage_path(object_type: ObjectType, row: dict[str, Any]) -> StagePath | None:
    if not object_type.pipeline_field or not object_type.pipelines:
        return None
    pipeline = object_type.pipeline(row.get("pipeline") or None)
    if pipeline is None:
        return None
    current = pipeline.stage(row.get(object_type.pipeline_field) or "")
    index = pipeline.stages.index(current) if current else -1
    stages = [
        PathStage(s, "current" if i == index else ("done" if i < index else "todo"))
        for i, s in enumerate(pipeline.stages)
    ]
    upcoming = None
    if not current or current.kind == "open":
        upcoming = next(
            (s for s in pipeline.stages[index + 1 :] if s.kind != "lost"), None
        )
    return StagePath(pipeline, stages, current, upcoming)


@dataclass(frozen=True)
class Related:
    child: ObjectType
    via: FieldSpec
    url: str


def related_lists(ctx: Context, object_type: ObjectType) -> list[Related]:
    """Objects with a lookup to this one (activities excepted: they are on
    the timeline), the ones the context may read."""
    found = []
    for child, spec in registry.referrers(ctx.workspace, object_type.api_name):
        if child.api_name in timeline.ACTIVITIES or not ctx.can(
            child.api_name, Action.READ
        ):
            continue
        found.append(Related(child, spec, ""))
    return found


def quick_specs(activity: ObjectType) -> list[FieldSpec]:
    """The few fields a composer asks for: the name, what is required, the
    first date, picklist and long text."""
    simple = [s for s in activity.writable_fields if not s.is_lookup]
    names = [activity.name_field, *(s.name for s in simple if s.required)]
    for wanted in (("date", "datetime"), ("picklist",), ("long_text",)):
        found = next((s.name for s in simple if s.type.key in wanted), None)
        if found:
            names.append(found)
    return crm_forms.editable_specs(activity, dict.fromkeys(names))


@dataclass(frozen=True)
class Composer:
    activity: ObjectType
    via: FieldSpec | None  # None: linked to the record by an association
    form: Any


def composers(ctx: Context, object_type: ObjectType, record_id: UUID) -> list:
    """A small form per activity object that can be about this record
    (through its lookup, or else an association: every object has them)."""
    found = []
    for activity, via in timeline.links(ctx, object_type):
        if not ctx.can(activity.api_name, Action.CREATE) or activity.api_name in (
            "email",
            "event",
        ):
            continue
        form = crm_forms.record_form(
            activity, quick_specs(activity), prefix=activity.api_name
        )
        found.append(Composer(activity, via, form))
    return found


VERBS = {"call": "logged a call", "task": "created a task", "note": "added a note"}


@dataclass(frozen=True)
class TimelineItem:
    entry: timeline.Entry
    icon: str
    title: Any
    detail: list[Any]
    who: str


def timeline_entries(ctx: Context, entries: list[timeline.Entry]) -> list:
    items = []
    currency = ctx.workspace.currency
    for entry in entries:
        if entry.is_change:
            change, spec = entry.change, entry.field
            before = display.text(spec, change.old_value, currency=currency)
            after = display.text(spec, change.new_value, currency=currency)
            items.append(
                TimelineItem(
                    entry,
                    "change",
                    format_html(
                        "{} changed from <b>{}</b> to <b>{}</b>",
                        spec.label,
                        before or "empty",
                        after or "empty",
                    ),
                    [],
                    str(change.changed_by or "System"),
                )
            )
            continue
        activity, row = entry.object_type, entry.row
        name_spec = activity.fields[activity.name_field]
        title = display.text(name_spec, row.get(name_spec.name)) or activity.label
        detail = []
        for name, value in row.items():
            spec = activity.find_field(name.split(".")[0])
            if "." in name or spec is None or name in (activity.name_field, "id"):
                continue
            if spec.type.key in ("picklist", "long_text") and value:
                detail.append(display.text(spec, value))
        items.append(
            TimelineItem(
                entry,
                activity.api_name,
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("crm:record_detail", args=[activity.api_name, row["id"]]),
                    title,
                ),
                detail,
                str(row.get("owner.name") or ""),
            )
        )
    return items


def form_specs(object_type: ObjectType) -> list[FieldSpec]:
    """The writable fields in the order of the record page's sections: the
    name and required fields first, the owner last of the details."""
    specs = crm_forms.editable_specs(object_type)
    titles = ["Details"]
    for spec in specs:
        title = _section_of(object_type, spec)
        if title not in titles and title.endswith("ddress"):
            titles.append(title)
    titles += ["Additional fields", "Description", "System information"]

    def rank(spec: FieldSpec) -> tuple:
        title = _section_of(object_type, spec)
        return (
            titles.index(title) if title in titles else len(titles),
            spec.name != object_type.name_field,
            spec.name == "owner",
            not spec.required,
        )

    return sorted(specs, key=rank)
