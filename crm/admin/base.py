"""What the CRM's admin pages share: writes that go through a domain service
(a refusal becomes form errors or a message, and nothing is saved), forms that
keep a row inside its workspace, list filters, and the settings of big tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts import access, errors
from accounts.models import Workspace
from crm import records
from crm.metadata import registry
from crm.models import Deletion, ObjectDefinition

#: The registry's standard objects (their built-in fields), by model.
STANDARD_TYPES = {t.model: t for t in registry.standard_types()}
#: How many rows a delete confirmation names before it summarises.
CONFIRMATION_LIMIT = 100

# -- refusals of the domain become form errors and messages ---------------------------


class Refused(Exception):
    """A domain service refused an admin write; ``subject`` names what it was."""

    def __init__(self, subject: str, error: errors.DomainError) -> None:
        super().__init__(error.message)
        self.subject = subject
        self.error = error

    def __str__(self) -> str:
        return f"{self.subject}: {self.error.message}"


def attempt(subject: object, call: Callable[..., Any], *args, **kwargs) -> Any:
    """Run one domain write; a DomainError becomes ``Refused``."""
    try:
        return call(*args, **kwargs)
    except errors.DomainError as exc:
        raise Refused(str(subject), exc) from exc


def adopt(written: models.Model, obj: models.Model) -> None:
    """Give the admin's instance the row a service wrote (for its log entry,
    success message and redirect)."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(written, field.attname))
    obj._state.adding = False


_REFUSAL = "_hotcrm_admin_refusal"


class LifecycleForm(forms.ModelForm):
    """A form whose save is a domain write.

    When the write refused this very submission, the admin renders the form
    again with ``refusal`` set: its errors land on the fields they name.
    """

    refusal: errors.DomainError | None = None

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.refusal is not None:
            details = self.refusal.details or (
                errors.FieldError(None, self.refusal.message),
            )
            for detail in details:
                if detail.field in self.fields:
                    self.add_error(detail.field, detail.message)
                elif detail.field:
                    self.add_error(None, f"{detail.field}: {detail.message}")
                else:
                    self.add_error(None, detail.message)
        return cleaned


def form_workspace(form: forms.ModelForm) -> Workspace | None:
    """The workspace of the row a form edits: chosen on add, fixed on change."""
    return form.cleaned_data.get("workspace") or getattr(
        form.instance, "workspace", None
    )


class TenantForm(LifecycleForm):
    """A row of one workspace: the rows it points at, and the object it names,
    belong to that workspace too. The admin is cross-tenant; the data is not."""

    def clean(self) -> dict:
        cleaned = super().clean()
        workspace = form_workspace(self)
        if workspace is None:
            return cleaned
        for name, value in list(cleaned.items()):
            if getattr(value, "workspace_id", workspace.pk) != workspace.pk:
                self.add_error(name, f"Choose one of {workspace}.")
        if "object_name" in self.fields and cleaned.get("object_name"):
            found = registry.for_workspace(workspace).find(cleaned["object_name"])
            if found is None:
                self.add_error("object_name", f"{workspace} has no such object.")
            else:
                cleaned["object_name"] = found.api_name
        return cleaned


class BigTable:
    """A table too big to count or facet: a page the database serves quickly."""

    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER


class LifecycleAdmin(admin.ModelAdmin):
    """Saves and deletes that go through a domain service.

    The admin runs each save and delete in a transaction. A refused save raises
    ``Refused`` out of it, so the transaction (admin log entry included) rolls
    back; the form is then shown again with the refusal as its errors. A
    refused delete comes back as an error message. A bulk delete is one
    ``delete_model`` a row, all or nothing.
    """

    form = LifecycleForm
    actions = ("delete_selected",)

    def change_url(self, pk: object) -> str:
        opts = self.opts
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[pk],
            current_app=self.admin_site.name,
        )

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, _REFUSAL, None)
        if refusal is None:
            return form
        return type(form.__name__, (form,), {"refusal": refusal})

    def changeform_view(
        self, request: HttpRequest, object_id=None, form_url="", extra_context=None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refused:
            setattr(request, _REFUSAL, refused.error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context=None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except Refused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(self.change_url(object_id))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # The changelist's queryset already joins ``list_select_related``.
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.action(
        permissions=["delete"], description="Delete selected %(verbose_name_plural)s"
    )
    def delete_selected(self, request: HttpRequest, queryset: QuerySet):
        try:
            with transaction.atomic():
                return admin_actions.delete_selected(self, request, queryset)
        except Refused as refused:
            self.message_user(request, f"Nothing was done. {refused}", messages.ERROR)
            return None


# -- list filters -------------------------------------------------------------------


class _EqualsFilter(admin.SimpleListFilter):
    """Rows whose ``parameter_name`` field holds the chosen value."""

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.parameter_name: self.value()})
        return queryset


def equals_filter(
    name: str, title: str, field: str, values: Callable[[], list[tuple[str, str]]]
) -> type[admin.SimpleListFilter]:
    """A list filter on ``field`` offering ``values()`` (value, label), read
    each time the page is built."""
    return type(
        name,
        (_EqualsFilter,),
        {
            "title": title,
            "parameter_name": field,
            "lookups": lambda self, request, model_admin: values(),
        },
    )


def _object_names() -> list[tuple[str, str]]:
    names = {t.api_name: t.label for t in STANDARD_TYPES.values()}
    for api_name, label in ObjectDefinition.objects.values_list(
        "api_name", "label"
    ).distinct():
        names.setdefault(api_name, label)
    return sorted(names.items(), key=lambda item: item[1])


def object_name_filter(field: str) -> type[admin.SimpleListFilter]:
    """Filter by object: the standard ones and every custom one defined."""
    return equals_filter("ObjectNameFilter", "object", field, _object_names)


# -- the recycle bin ------------------------------------------------------------------


def restore(
    model_admin: admin.ModelAdmin, request: HttpRequest, deletions: list[Deletion]
) -> None:
    """Restore batches from the bin, all or nothing, and say how it went. The
    newest goes first: a batch that depends on an older one comes back after."""
    if not deletions:
        model_admin.message_user(
            request, "None of them is in the recycle bin.", messages.WARNING
        )
        return
    restored = 0
    try:
        with transaction.atomic():
            for deletion in sorted(deletions, key=lambda d: d.deleted_at, reverse=True):
                ctx = access.system_context(deletion.workspace, request.user)
                attempt(deletion, records.restore, ctx, deletion.pk)
                restored += deletion.total
    except Refused as refused:
        model_admin.message_user(
            request, f"Nothing was restored. {refused}", messages.ERROR
        )
        return
    batches = len(deletions)
    model_admin.message_user(
        request,
        f"Restored {restored} record{'s' if restored != 1 else ''} "
        f"in {batches} batch{'es' if batches != 1 else ''}.",
        messages.SUCCESS,
    )
