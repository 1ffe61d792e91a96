"""The v1 URL map, without trailing slashes as in the documents. Fixed words
come before ``{objects}``, so no object may be called ``auth``, ``batch``,
``metadata`` or ``query``.

TODO(#3): the list, query, aggregate, count/sum/avg and groupby routes of
crm.query go here, above ``records``: ``GET <objects>`` on RecordCollection,
``<objects>/query``, ``<objects>/aggregate``, ``<objects>/count``,
``<objects>/sum/<field>``, ``<objects>/avg/<field>``, ``<objects>/groupby`` and
``query``.
"""

from django.urls import path

from api.v1 import auth, batch, metadata, records

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
