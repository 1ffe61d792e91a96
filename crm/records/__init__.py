"""crm.records: the record lifecycle, the one way CRM data is written.

create / update / replace / delete → recycle bin / restore / purge, and links
between records. Every call checks access, validates, writes history and
outbox events in one transaction.
"""

from crm.records.associations import associate, dissociate
from crm.records.deletion import delete, restore
from crm.records.lifecycle import create, replace, update, version
from crm.records.purging import purge, purge_expired

__all__ = [
    "associate",
    "create",
    "delete",
    "dissociate",
    "purge",
    "purge_expired",
    "replace",
    "restore",
    "update",
    "version",
]
