"""The Django admin for ops: every CRM model, derived from the object registry.

Each standard object gets a ``RegistryAdmin`` generated from its ``ObjectType``:
columns, filters, search and form fields come from the registry, never from a
list per model. Records are written through ``crm.records`` (history, outbox
events, recycle bin), so a refusal of the lifecycle shows up as form errors and
nothing is saved. Saving metadata bumps the workspace's metadata version. The
history and the outbox are logs: read-only. The admin is cross-tenant: staff
see every workspace, and each write runs in the record's own workspace.

``records`` holds the record admins, ``metadata`` the setup (objects, fields,
pipelines, rules, sharing), ``logs`` history, events, links and the recycle
bin, ``jobs`` the background jobs, and ``base`` what they share. This module
registers them.
"""

from django.contrib import admin

from crm import models as crm_models
from crm.admin import base, jobs, logs, metadata, records
from crm.admin.records import InRecycleBinFilter, RegistryAdmin

# The admin classes other code inspects, by name.
__all__ = ["InRecycleBinFilter", "RegistryAdmin"]

for _model in crm_models.STANDARD_MODELS:
    admin.site.register(_model, records.registry_admin(base.STANDARD_TYPES[_model]))

for _model, _model_admin in (
    (crm_models.CustomRecord, records.CustomRecordAdmin),
    (crm_models.ObjectDefinition, metadata.ObjectDefinitionAdmin),
    (crm_models.FieldDefinition, metadata.FieldDefinitionAdmin),
    (crm_models.Pipeline, metadata.PipelineAdmin),
    (crm_models.Stage, metadata.StageAdmin),
    (crm_models.ValidationRule, metadata.ValidationRuleAdmin),
    (crm_models.ObjectSharing, metadata.ObjectSharingAdmin),
    (crm_models.SharingRule, metadata.SharingRuleAdmin),
    (crm_models.SavedView, metadata.SavedViewAdmin),
    (crm_models.FieldChange, logs.FieldChangeAdmin),
    (crm_models.OutboxEvent, logs.OutboxEventAdmin),
    (crm_models.StageTotal, logs.StageTotalAdmin),
    (crm_models.Counter, logs.CounterAdmin),
    (crm_models.Association, logs.AssociationAdmin),
    (crm_models.Deletion, logs.DeletionAdmin),
    (crm_models.Job, jobs.JobAdmin),
    (crm_models.JobChunk, jobs.JobChunkAdmin),
    (crm_models.JobError, jobs.JobErrorAdmin),
):
    admin.site.register(_model, _model_admin)
