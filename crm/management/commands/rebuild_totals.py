"""``manage.py rebuild_totals [--workspace NAME_OR_ID]``"""

from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Workspace
from crm.records import totals


class Command(BaseCommand):
    help = (
        "Recount the pipeline totals (the boards' counts and amounts) of every "
        "workspace, or of one, from its live records: after rows were written "
        "outside the app, say by SQL or by deleting a user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help="A workspace's name or id.")

    def handle(self, *args, **options) -> None:
        found = Workspace.objects.order_by("pk")
        wanted = options["workspace"]
        if wanted:
            try:
                found = found.filter(pk=UUID(wanted))
            except ValueError:
                found = found.filter(name=wanted)
            if not found.exists():
                raise CommandError(f"There is no workspace {wanted!r}.")
        for workspace in found:
            rows = totals.rebuild(workspace)
            self.stdout.write(f"{workspace.name}: {rows} pipeline totals")
