"""The admin of CRM records: one ``RegistryAdmin`` generated per standard object
from its ``ObjectType``, and ``CustomRecordAdmin`` for custom objects.

Saves, deletes and restores go through ``crm.records`` (history, outbox events,
recycle bin); each runs in the record's own workspace. Deleting moves the
record, and what cascades from it, to the recycle bin.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import capfirst

from accounts import access
from accounts.models import Workspace
from crm import records
from crm.admin import base
from crm.metadata import registry
from crm.metadata.types import ObjectType, OnDelete, Storage
from crm.models import Deletion, Pipeline, Stage
from crm.models.base import TenantRecord

#: Columns every record has that the system sets (shown read-only).
SYSTEM_FIELDS = tuple(
    f.name for f in TenantRecord._meta.local_fields if f.name != "owner"
)
SYSTEM_FIELDSET = ("System", {"fields": SYSTEM_FIELDS, "classes": ("collapse",)})
#: Field types searched by the changelist's search box.
SEARCHED_TYPES = frozenset({"text", "email", "phone"})


class InRecycleBinFilter(admin.SimpleListFilter):
    title = "in recycle bin"
    parameter_name = "in_recycle_bin"

    def lookups(self, request, model_admin):
        return (("yes", "Yes"), ("no", "No"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(deleted_at__isnull=self.value() == "no")
        return queryset


def pipeline_filter(
    object_type: ObjectType, field: str
) -> type[admin.SimpleListFilter]:
    """Filter on a picklist whose values are the workspaces' stages or pipelines
    (they have no choices of their own, and a DISTINCT over the records would
    read the whole table)."""

    def values() -> list[tuple[str, str]]:
        rows = (
            Stage.objects.filter(pipeline__object_name=object_type.api_name)
            if field == object_type.pipeline_field
            else Pipeline.objects.filter(object_name=object_type.api_name)
        )
        return sorted(dict(rows.values_list("key", "label")).items())

    return base.equals_filter(
        f"{object_type.model.__name__}{field.title()}Filter",
        object_type.fields[field].label.lower(),
        field,
        values,
    )


class RecordAdmin(base.BigTable, base.LifecycleAdmin):
    """Records of one object: writes, deletes and restores through crm.records."""

    actions = ("delete_selected", "restore_selected")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    delete_confirmation_template = "admin/crm/recycle_bin_confirmation.html"
    delete_selected_confirmation_template = (
        "admin/crm/recycle_bin_selected_confirmation.html"
    )
    cascade_note = "With them go the records whose lookups to them cascade."

    def record_object(self, obj: models.Model) -> str:
        """The api name of the record's object."""
        raise NotImplementedError

    def record_workspace(self, obj: models.Model, form: forms.ModelForm) -> Workspace:
        return obj.workspace

    def record_data(self, form: forms.ModelForm, change: bool) -> dict[str, Any]:
        """The payload for crm.records: the changed fields, or all on add."""
        raise NotImplementedError

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        in_bin = obj is not None and obj.deleted_at is not None
        return not in_bin and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        in_bin = obj is not None and obj.deleted_at is not None
        return not in_bin and super().has_delete_permission(request, obj)

    @admin.display(boolean=True, description="in bin", ordering="deleted_at")
    def in_recycle_bin(self, obj: models.Model) -> bool:
        return obj.deleted_at is not None

    def save_model(self, request, obj, form, change) -> None:
        data = self.record_data(form, change)
        if change and not data:
            return
        ctx = access.system_context(self.record_workspace(obj, form), request.user)
        name = self.record_object(obj)
        if change:
            record = base.attempt(obj, records.update, ctx, name, obj.pk, data=data)
        else:
            record = base.attempt("New record", records.create, ctx, name, data=data)
        base.adopt(record, obj)

    def delete_model(self, request, obj) -> None:
        if self.model.objects.filter(pk=obj.pk, deleted_at__isnull=False).exists():
            return  # went to the bin with an earlier record of the same batch
        ctx = access.system_context(obj.workspace, request.user)
        base.attempt(obj, records.delete, ctx, self.record_object(obj), obj.pk)

    def get_deleted_objects(self, objs, request):
        """The confirmation names the chosen records. Django's own list would
        walk every relation as if rows were deleted for good; the lifecycle
        decides what goes to the bin with them."""
        total = len(objs) if isinstance(objs, list) else objs.count()
        limit = base.CONFIRMATION_LIMIT
        items = [
            format_html(
                '{}: <a href="{}">{}</a>',
                capfirst(self.opts.verbose_name),
                self.change_url(obj.pk),
                obj,
            )
            for obj in objs[:limit]
        ]
        if total > limit:
            items.append(f"… and {total - limit} more")
        items.append(self.cascade_note)
        return items, {self.opts.verbose_name_plural: total}, set(), []

    @admin.action(
        permissions=["delete"],
        description="Move selected %(verbose_name_plural)s to the recycle bin",
    )
    def delete_selected(self, request: HttpRequest, queryset: QuerySet):
        live = queryset.filter(deleted_at__isnull=True)
        if not live.exists():
            self.message_user(
                request, "They are in the recycle bin already.", messages.WARNING
            )
            return None
        return super().delete_selected(request, live)

    @admin.action(
        permissions=["delete"],
        description="Restore selected %(verbose_name_plural)s from the recycle bin",
    )
    def restore_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        deletions = Deletion.objects.filter(
            pk__in=queryset.filter(deletion__isnull=False).values("deletion")
        ).select_related("workspace")
        base.restore(self, request, list(deletions))


# -- standard objects: one admin each, derived from the registry ----------------------


class RecordForm(base.LifecycleForm):
    """A standard record's form; a picklist that takes its values from the
    record's workspace (stages, pipelines) is offered as a choice."""

    object_type: ObjectType

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.workspace_id is None:
            return
        current = registry.for_workspace(self.instance.workspace).find(
            self.object_type.api_name
        )
        for name, field in self.fields.items():
            spec = current.fields.get(name)
            if not spec or not spec.choices or getattr(field, "choices", None):
                continue
            choices = [("", "---------"), *((c.value, c.label) for c in spec.choices)]
            value = self.initial.get(name)
            if value and value not in {c.value for c in spec.choices}:
                choices.append((value, value))  # never drop a value on save
            field.widget = forms.Select(choices=choices)


class RegistryAdmin(RecordAdmin):
    """The admin of one standard object; ``registry_admin`` fills it in."""

    form = RecordForm
    object_type: ObjectType
    #: Writable fields in form order, and read-only ones shown beside them.
    writable: tuple[str, ...] = ()
    derived: tuple[str, ...] = ()

    def record_object(self, obj) -> str:
        return self.object_type.api_name

    def record_workspace(self, obj, form) -> Workspace:
        if obj.workspace_id is None:
            return form.cleaned_data["workspace"]
        return obj.workspace

    def record_data(self, form, change) -> dict[str, Any]:
        names = form.changed_data if change else form.cleaned_data
        return {n: form.cleaned_data[n] for n in names if n in self.writable}

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["workspace", *self.writable]})]
        return [
            (None, {"fields": [*self.writable, *self.derived]}),
            ("Custom fields", {"fields": ["custom"]}),
            SYSTEM_FIELDSET,
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (*self.derived, "custom", *SYSTEM_FIELDS)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            # ``workspace`` is not editable on the model: the add form declares it.
            kwargs["fields"] = self.writable
        form = super().get_form(request, obj, change, **kwargs)
        form = type(form.__name__, (form,), {"object_type": self.object_type})
        if obj is not None:
            return form
        workspace = forms.ModelChoiceField(
            Workspace.objects.all(),
            widget=AutocompleteSelect(
                self.model._meta.get_field("workspace"), self.admin_site
            ),
            help_text="The workspace the record belongs to; fixed once created.",
        )
        return type(form.__name__, (form,), {"workspace": workspace})


def _searchable(object_type: ObjectType) -> list[str]:
    return [
        s.name
        for s in object_type.fields.values()
        if s.storage is Storage.COLUMN and s.type.key in SEARCHED_TYPES
    ]


def _cascade_note(object_type: ObjectType) -> str:
    cascades = [
        t.label_plural
        for t in base.STANDARD_TYPES.values()
        for s in t.lookups
        if s.target == object_type.api_name and s.on_delete is OnDelete.CASCADE
    ]
    if not cascades:
        return RecordAdmin.cascade_note
    return (
        f"With them go their {', '.join(dict.fromkeys(cascades))}, and any "
        "record whose custom lookup to them cascades."
    )


def registry_admin(object_type: ObjectType) -> type[RegistryAdmin]:
    """The admin of one standard object, derived from its ObjectType."""
    specs = [s for s in object_type.fields.values() if s.storage is Storage.COLUMN]
    name = object_type.name_field
    picklists = sorted(
        (s for s in specs if s.type.key == "picklist"),
        key=lambda s: s.name != object_type.pipeline_field,
    )
    money = [s.name for s in specs if s.type.key == "currency"]
    owners = [
        s.name for s in object_type.lookups if s.target == "user" and not s.read_only
    ]
    links = [s.name for s in object_type.lookups if s.target != "user"][:2]
    shown = [s.name for s in picklists if s.name != name][:2]
    columns = [*shown, *money[:1], *links]
    by_name = {t.api_name: t for t in base.STANDARD_TYPES.values()}
    writable = [
        s.name
        for s in sorted(specs, key=lambda s: (s.name != name, s.name not in owners))
        if not s.read_only
    ]
    lookups = [n for n in writable if object_type.fields[n].is_lookup]
    autocomplete = [
        n
        for n in lookups
        if object_type.fields[n].target == "user"
        or _searchable(by_name[object_type.fields[n].target])
    ]
    picklist_filters = [
        s.name if s.choices else pipeline_filter(object_type, s.name)
        for s in picklists
        if s.choices or s.name in (object_type.pipeline_field, "pipeline")
    ]
    attrs = {
        "object_type": object_type,
        "cascade_note": _cascade_note(object_type),
        "writable": tuple(writable),
        "derived": tuple(
            s.name for s in specs if s.read_only and s.name not in SYSTEM_FIELDS
        ),
        "list_display": (
            *(name, *columns, *owners),
            *("workspace", "updated_at", "in_recycle_bin"),
        ),
        "list_select_related": (*links, *owners, "workspace"),
        "list_filter": (
            "workspace",
            InRecycleBinFilter,
            *picklist_filters,
            *(s.name for s in specs if s.type.key == "boolean"),
        ),
        "search_fields": ("=id", *_searchable(object_type)),
        "autocomplete_fields": tuple(autocomplete),
        "raw_id_fields": tuple(n for n in lookups if n not in autocomplete),
    }
    return type(f"{object_type.model.__name__}Admin", (RegistryAdmin,), attrs)


# -- custom objects: records of every one in one table ------------------------------


class CustomRecordForm(base.LifecycleForm):
    def clean_data(self) -> dict:
        data = self.cleaned_data["data"]
        if not isinstance(data, dict):
            raise forms.ValidationError(
                'Enter the fields as a JSON object, e.g. {"name": "Gold plan"}.'
            )
        return data


class CustomRecordAdmin(RecordAdmin):
    """Records of custom objects; their fields are the keys of ``data``."""

    form = CustomRecordForm
    list_display = (
        "__str__",
        "definition",
        "owner",
        "workspace",
        "updated_at",
        "in_recycle_bin",
    )
    list_filter = ("definition", "workspace", InRecycleBinFilter)
    list_select_related = ("definition", "owner", "workspace")
    search_fields = ("=id", "data__name")
    autocomplete_fields = ("definition", "owner")

    def record_object(self, obj) -> str:
        return obj.definition.api_name

    def record_workspace(self, obj, form) -> Workspace:
        return obj.definition.workspace

    def record_data(self, form, change) -> dict[str, Any]:
        data = dict(form.cleaned_data["data"])
        if not change:
            return {**data, "owner": form.cleaned_data["owner"]}
        before = form.initial.get("data") or {}
        changed = {k: v for k, v in data.items() if before.get(k) != v}
        changed.update((k, None) for k in before if k not in data)
        if "owner" in form.changed_data:
            changed["owner"] = form.cleaned_data["owner"]
        return changed

    def get_fieldsets(self, request, obj=None):
        main = (None, {"fields": ["definition", "owner", "data"]})
        if obj is None:
            return [main]
        return [main, SYSTEM_FIELDSET]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("definition", *SYSTEM_FIELDS)
