"""The v1 URL map, written without trailing slashes as in the documents
(``api/urls.py`` makes every route accept one too). Fixed words come before
``{objects}``, so no object may be called ``auth``, ``batch``, ``jobs``,
``metadata``, ``query`` or ``webhooks``. ``events`` is the event stream for
``GET`` and the Event object's collection for ``POST`` (``/api/v1/event``
names that object for every route). ``<objects>/query``, ``/aggregate``,
``/count``, ``/sum/<field>``, ``/avg/<field>``, ``/groupby``, ``/bulk``,
``/import`` and ``/export`` come before ``<objects>/<record_id>``, so those
words are never taken for record ids.
"""

from django.urls import path

from api.v1 import (
    aggregates,
    auth,
    batch,
    bulk,
    events,
    jobs,
    lists,
    metadata,
    records,
    transfers,
    webhooks,
)

urlpatterns = [
    path("auth/token", auth.TokenLogin.as_view(), name="auth-token"),
    path("auth/tokens", auth.PersonalTokenList.as_view(), name="pat-list"),
    path(
        "auth/tokens/<uuid:token_id>",
        auth.PersonalTokenDetail.as_view(),
        name="pat-detail",
    ),
    path("auth/api-keys", auth.ApiKeyList.as_view(), name="api-key-list"),
    path(
        "auth/api-keys/<uuid:key_id>",
        auth.ApiKeyDetail.as_view(),
        name="api-key-detail",
    ),
    path("metadata/objects", metadata.ObjectList.as_view(), name="metadata-objects"),
    path(
        "metadata/objects/<str:name>",
        metadata.ObjectDetail.as_view(),
        name="metadata-object",
    ),
    path(
        "metadata/objects/<str:name>/fields",
        metadata.FieldList.as_view(),
        name="metadata-fields",
    ),
    path(
        "metadata/objects/<str:name>/fields/<str:field>",
        metadata.FieldDetail.as_view(),
        name="metadata-field",
    ),
    path("batch/<str:object_name>", batch.Batch.as_view(), name="batch"),
    path("query", lists.GlobalQuery.as_view(), name="query"),
    path("webhooks", webhooks.WebhookList.as_view(), name="webhook-list"),
    path(
        "webhooks/deliveries/<str:delivery_id>/replay",
        webhooks.DeliveryReplay.as_view(),
        name="webhook-delivery-replay",
    ),
    path(
        "webhooks/<str:webhook_id>",
        webhooks.WebhookDetail.as_view(),
        name="webhook-detail",
    ),
    path(
        "webhooks/<str:webhook_id>/rotate_secret",
        webhooks.WebhookRotateSecret.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "webhooks/<str:webhook_id>/deliveries",
        webhooks.WebhookDeliveries.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/<str:webhook_id>/replay",
        webhooks.WebhookReplay.as_view(),
        name="webhook-replay",
    ),
    path("events", events.EventStream.as_view(), name="events"),
    path("jobs", jobs.JobList.as_view(), name="job-list"),
    path("jobs/<str:job_id>", jobs.JobDetail.as_view(), name="job"),
    path(
        "jobs/<str:job_id>/errors.csv",
        jobs.JobErrorReport.as_view(),
        name="job-error-report",
    ),
    path("jobs/<str:job_id>/download", jobs.JobDownload.as_view(), name="job-download"),
    path("<str:objects>/query", lists.RecordQuery.as_view(), name="record-query"),
    path(
        "<str:objects>/aggregate",
        aggregates.Aggregate.as_view(),
        name="record-aggregate",
    ),
    path("<str:objects>/count", aggregates.Count.as_view(), name="record-count"),
    path("<str:objects>/sum/<str:field>", aggregates.Sum.as_view(), name="record-sum"),
    path(
        "<str:objects>/avg/<str:field>",
        aggregates.Average.as_view(),
        name="record-avg",
    ),
    path("<str:objects>/groupby", aggregates.GroupBy.as_view(), name="record-groupby"),
    path("<str:objects>/bulk", bulk.Bulk.as_view(), name="record-bulk"),
    path("<str:objects>/import", transfers.Import.as_view(), name="record-import"),
    path("<str:objects>/export", transfers.Export.as_view(), name="record-export"),
    path(
        "<str:objects>/<str:record_id>/restore",
        records.RecordRestore.as_view(),
        name="record-restore",
    ),
    path(
        "<str:objects>/<str:record_id>", records.RecordDetail.as_view(), name="record"
    ),
    path("<str:objects>", records.RecordCollection.as_view(), name="records"),
]
