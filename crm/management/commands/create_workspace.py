"""``manage.py create_workspace NAME --email E --password P [--name "Full Name"]``"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import errors
from accounts.models import Workspace
from crm import logins, workspaces


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
            login = logins.check(options["email"], options["password"])
        except errors.ValidationFailed as exc:
            raise CommandError(exc.message) from None
        workspace, owner = workspaces.create(
            name,
            email=login.email,
            password=login.password,
            user_name=options["user_name"].strip(),
        )
        note = " (existing user, password unchanged)" if login.user else ""
        self.stdout.write(
            f"Created workspace {workspace.name!r}.\n"
            f"Workspace id (entityId): {workspace.pk}\n"
            f"Login: {owner.email}{note}"
        )
