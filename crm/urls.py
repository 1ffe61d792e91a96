from django.urls import path

from crm.views import (
    boards,
    bulk,
    dashboard,
    imports,
    lists,
    records,
    recycle_bin,
    related,
    saved,
    search,
    shell,
)

app_name = "crm"

OBJECT = "o/<str:object_name>/"
RECORD = OBJECT + "<uuid:record_id>/"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("search/", search.search, name="search"),
    path("workspace/", shell.workspace_switch, name="workspace_switch"),
    path("recycle-bin/", recycle_bin.recycle_bin, name="recycle_bin"),
    path("recycle-bin/restore/", recycle_bin.bin_restore, name="bin_restore"),
    path("recycle-bin/purge/", recycle_bin.bin_purge, name="bin_purge"),
    path(OBJECT, lists.record_list, name="record_list"),
    path(OBJECT + "export.csv", lists.record_export, name="record_export"),
    path(OBJECT + "import/", imports.import_upload, name="import_upload"),
    path(OBJECT + "import/<uuid:job_id>/map/", imports.import_map, name="import_map"),
    path(
        OBJECT + "import/<uuid:job_id>/",
        imports.import_progress,
        name="import_progress",
    ),
    path(
        OBJECT + "import/<uuid:job_id>/errors.csv",
        imports.import_errors,
        name="import_errors",
    ),
    path(OBJECT + "filter-row/", lists.filter_row, name="filter_row"),
    path(OBJECT + "bulk/", bulk.record_bulk, name="record_bulk"),
    path(OBJECT + "bulk/field/", bulk.bulk_field, name="bulk_field"),
    path(OBJECT + "views/", saved.view_save, name="view_save"),
    path(
        OBJECT + "views/<uuid:view_id>/delete/", saved.view_delete, name="view_delete"
    ),
    path(OBJECT + "suggest/", search.lookup_suggest, name="lookup_suggest"),
    path(OBJECT + "new/", records.record_create, name="record_create"),
    path(OBJECT + "board/", boards.board, name="board"),
    path(OBJECT + "board/column/", boards.board_column, name="board_column"),
    path(RECORD, records.record_detail, name="record_detail"),
    path(RECORD + "edit/", records.record_edit, name="record_edit"),
    path(RECORD + "delete/", records.record_delete, name="record_delete"),
    path(RECORD + "stage/", records.record_stage, name="record_stage"),
    path(RECORD + "move/", boards.board_move, name="board_move"),
    path(RECORD + "timeline/", records.record_timeline, name="record_timeline"),
    path(RECORD + "field/<str:field_name>/", records.record_field, name="record_field"),
    path(
        RECORD + "related/<str:child>/<str:via>/",
        related.related_list,
        name="related_list",
    ),
    path(
        RECORD + "related/<str:child>/<str:via>/link/",
        related.related_link,
        name="related_link",
    ),
    path(
        RECORD + "activity/<str:kind>/", related.activity_create, name="activity_create"
    ),
]
