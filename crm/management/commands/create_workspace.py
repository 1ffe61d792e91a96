"""``manage.py create_workspace NAME --email E --password P [--name "Full Name"]``"""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import errors
from accounts import services as account_services
from accounts.models import Workspace
from crm import workspaces


class Command(BaseCommand):
    help = (
        "Create a workspace owned by the user with --email (created with "
        "--password when new) with every right, and print its id and the login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The workspace's name, e.g. 'Acme Inc'.")
        parser.add_argument("--email", required=True, help="The owner's email.")
        parser.add_argument(
            "--password",
            help="The owner's password; required when the user is new, "
            "ignored (left unchanged) when the user exists.",
        )
        parser.add_argument(
            "--name", dest="user_name", default="", help="The owner's full name."
        )

    def handle(self, *args, **options) -> None:
        name = options["name"].strip()
        limit = Workspace._meta.get_field("name").max_length
        if not name:
            raise CommandError("The workspace needs a name.")
        if len(name) > limit:
            raise CommandError(f"Use at most {limit} characters for the name.")
        try:
            with transaction.atomic():
                owner, created = account_services.get_or_create_user(
                    options["email"],
                    password=options["password"],
                    name=options["user_name"],
                )
                workspace = workspaces.create_for(owner, name)
        except errors.ValidationFailed as exc:
            raise CommandError(exc.message) from None
        note = "" if created else " (existing user, password unchanged)"
        self.stdout.write(
            f"Created workspace {workspace.name!r}.\n"
            f"Workspace id (entityId): {workspace.pk}\n"
            f"Login: {owner.email}{note}"
        )
