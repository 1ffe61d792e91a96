"""The admin of a workspace's metadata: custom objects and fields, pipelines and
stages, validation rules, and the sharing settings record visibility reads.

Saving or deleting metadata moves its workspace to a new metadata version, so
every cached registry sees the change at once. Where a service defines the
object (``create``), adding goes through it.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts import access, errors
from accounts.models import Workspace
from crm.admin import base
from crm.metadata import registry
from crm.metadata import services as metadata_services
from crm.models import FieldDefinition, ObjectDefinition, Stage, ValidationRule
from crm.query import filters as query_filters


class MetadataAdmin(base.LifecycleAdmin):
    """Metadata of one workspace; each save and delete touches the workspace."""

    form = base.TenantForm
    #: Fields fixed once created: records and other metadata refer to them.
    fixed: tuple[str, ...] = ("workspace",)
    create: Callable[..., models.Model] | None = None

    def workspace_of(self, obj) -> Workspace:
        return obj.workspace

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if obj is None else (*readonly, *self.fixed)

    def save_model(self, request, obj, form, change) -> None:
        if change or self.create is None:
            super().save_model(request, obj, form, change)
            return
        ctx = access.system_context(self.workspace_of(obj), request.user)
        subject = f"New {self.opts.verbose_name}"
        base.adopt(base.attempt(subject, self.create, ctx, form.cleaned_data), obj)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        metadata_services.touch(self.workspace_of(form.instance))

    def delete_model(self, request, obj) -> None:
        workspace = self.workspace_of(obj)
        super().delete_model(request, obj)
        metadata_services.touch(workspace)


# -- custom objects and their fields ------------------------------------------------


def _create_object(ctx: access.Context, data: dict) -> ObjectDefinition:
    return metadata_services.create_object(
        ctx,
        api_name=data["api_name"],
        label=data["label"],
        plural=data["plural"],
        label_plural=data["label_plural"],
        prefix=data["prefix"],
        description=data["description"],
    )


class ObjectDefinitionAdmin(MetadataAdmin):
    """Custom objects. Their fields are listed on the page: a FieldDefinition
    names its object by api name, not by a foreign key, so it cannot be an
    inline."""

    list_display = ("label", "api_name", "plural", "prefix", "workspace", "created_at")
    list_filter = ("workspace",)
    list_select_related = ("workspace",)
    search_fields = ("label", "api_name")
    autocomplete_fields = ("workspace",)
    readonly_fields = ("created_at",)
    fixed = ("workspace", "api_name", "name_field", "field_list")
    create = staticmethod(_create_object)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would drop its records for good, past the recycle bin, and
        # leave its fields and rules behind; no service does that safely yet.
        return False

    def get_fields(self, request, obj=None):
        fields = ["workspace", "api_name", "plural", "label", "label_plural"]
        fields += ["prefix", "description"]
        if obj is None:
            return fields
        return [*fields, "name_field", "created_at", "field_list"]

    @admin.display(description="fields")
    def field_list(self, definition: ObjectDefinition) -> str:
        site = self.admin_site.name
        rows = FieldDefinition.objects.filter(
            workspace=definition.workspace_id, object_name=definition.api_name
        )
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({}, {})</li>',
            (
                (
                    reverse(
                        "admin:crm_fielddefinition_change",
                        args=[f.pk],
                        current_app=site,
                    ),
                    f.label,
                    f.name,
                    f.get_type_display(),
                )
                for f in rows
            ),
        )
        add = reverse("admin:crm_fielddefinition_add", current_app=site)
        query = f"workspace={definition.workspace_id}&object_name={definition.api_name}"
        return format_html(
            '<ul>{}</ul><a href="{}?{}">Add a field</a>', items, add, query
        )


def _create_field(ctx: access.Context, data: dict) -> FieldDefinition:
    return metadata_services.create_field(
        ctx,
        data["object_name"],
        name=data["name"],
        label=data["label"],
        type=data["type"],
        required=data["required"],
        unique=data["unique"],
        indexed=data["indexed"],
        track_history=data["track_history"],
        choices=data["choices"] or (),
        target=data["target"],
        on_delete=data["on_delete"],
        default=data["default"],
        max_length=data["max_length"],
        decimal_places=data["decimal_places"],
        help_text=data["help_text"],
    )


class FieldDefinitionForm(base.TenantForm):
    def clean_choices(self) -> list:
        choices = self.cleaned_data["choices"] or []
        valid = isinstance(choices, list) and all(
            isinstance(c, dict) and str(c.get("value", "")).strip() for c in choices
        )
        if not valid:
            raise forms.ValidationError(
                'Enter a list of choices: [{"value": "gold", "label": "Gold"}].'
            )
        return choices


class FieldDefinitionAdmin(MetadataAdmin):
    form = FieldDefinitionForm
    list_display = ("name", "label", "object_name", "type", "required", "workspace")
    list_filter = (
        "type",
        "required",
        base.object_name_filter("object_name"),
        "workspace",
    )
    list_select_related = ("workspace",)
    search_fields = ("name", "label", "object_name")
    autocomplete_fields = ("workspace",)
    readonly_fields = ("order", "created_at")
    fixed = ("workspace", "object_name", "name", "type")
    create = staticmethod(_create_field)


# -- pipelines and stages ------------------------------------------------------------


class StageForm(forms.ModelForm):
    """Records hold a stage's key, so a saved stage keeps it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "key" in self.fields:
            self.fields["key"].disabled = True


class StageInline(admin.TabularInline):
    model = Stage
    form = StageForm
    extra = 0


class PipelineAdmin(MetadataAdmin):
    list_display = ("label", "key", "object_name", "is_default", "workspace")
    list_filter = ("is_default", base.object_name_filter("object_name"), "workspace")
    list_select_related = ("workspace",)
    search_fields = ("label", "key", "object_name")
    autocomplete_fields = ("workspace",)
    fixed = ("workspace", "object_name", "key")
    inlines = (StageInline,)


class StageAdmin(MetadataAdmin):
    list_display = ("label", "key", "pipeline", "kind", "probability", "order")
    list_filter = ("kind", "pipeline__workspace")
    list_select_related = ("pipeline",)
    search_fields = ("label", "key")
    autocomplete_fields = ("pipeline",)
    fixed = ("pipeline", "key")

    def workspace_of(self, obj) -> Workspace:
        return obj.pipeline.workspace


# -- validation rules ---------------------------------------------------------------


class ValidationRuleForm(base.TenantForm):
    """A rule whose condition parses against its object now, so a broken rule
    never reaches the writes it would stop."""

    def clean(self) -> dict:
        cleaned = super().clean()
        workspace = base.form_workspace(self)
        name = cleaned.get("object_name") or self.instance.object_name
        object_type = (
            workspace and name and registry.for_workspace(workspace).find(name)
        )
        if not object_type:
            return cleaned
        if "condition" in cleaned:
            try:
                if not query_filters.parse(object_type, cleaned["condition"]):
                    self.add_error("condition", "A rule needs at least one condition.")
            except errors.DomainError as exc:
                self.add_error("condition", exc.message)
        error_field = cleaned.get("error_field")
        if error_field and object_type.find_field(error_field) is None:
            self.add_error("error_field", f"{object_type.label} has no such field.")
        return cleaned


def _create_rule(ctx: access.Context, data: dict) -> ValidationRule:
    return metadata_services.create_validation_rule(
        ctx,
        data["object_name"],
        name=data["name"],
        condition=data["condition"],
        error_message=data["error_message"],
        error_field=data["error_field"],
    )


class ValidationRuleAdmin(MetadataAdmin):
    form = ValidationRuleForm
    list_display = ("name", "object_name", "error_message", "is_active", "workspace")
    list_filter = ("is_active", base.object_name_filter("object_name"), "workspace")
    list_select_related = ("workspace",)
    search_fields = ("name", "object_name", "error_message")
    autocomplete_fields = ("workspace",)
    readonly_fields = ("created_at",)
    fixed = ("workspace", "object_name")
    create = staticmethod(_create_rule)


# -- sharing --------------------------------------------------------------------------


class ObjectSharingAdmin(admin.ModelAdmin):
    """Org-wide defaults; record visibility reads them on every query."""

    form = base.TenantForm
    list_display = ("object_name", "access", "workspace")
    list_filter = ("access", base.object_name_filter("object_name"), "workspace")
    list_select_related = ("workspace",)
    search_fields = ("object_name", "workspace__name")
    autocomplete_fields = ("workspace",)


class SharingRuleAdmin(admin.ModelAdmin):
    form = base.TenantForm
    list_display = ("name", "object_name", "level", "is_active", "workspace")
    list_filter = (
        "level",
        "is_active",
        base.object_name_filter("object_name"),
        "workspace",
    )
    list_select_related = ("workspace",)
    search_fields = ("name", "object_name")
    autocomplete_fields = (
        "workspace",
        "owned_by_group",
        "owned_by_role",
        "shared_with_group",
        "shared_with_role",
    )


class SavedViewAdmin(admin.ModelAdmin):
    """Users' saved list views (filters, columns, sort)."""

    list_display = ("name", "object_name", "owner", "is_shared", "workspace")
    list_filter = ("object_name", "is_shared", "workspace")
    list_select_related = ("owner", "workspace")
    search_fields = ("name",)
    raw_id_fields = ("owner", "workspace")
