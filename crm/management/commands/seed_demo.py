"""``manage.py seed_demo [--records N] [--users N] [--email E --password P]
[--workspace NAME] [--if-empty] [--ops-admin] [--seed S]``"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import errors
from accounts import services as account_services
from crm import demo


class Command(BaseCommand):
    help = (
        "Build a demo workspace full of realistic CRM data (bulk-written, without "
        "history or webhook events) and print its login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--records",
            type=int,
            default=demo.DEFAULT_RECORDS,
            help="Opportunities to create; other objects scale with it "
            f"(default {demo.DEFAULT_RECORDS:,}).",
        )
        parser.add_argument(
            "--users",
            type=int,
            default=demo.DEFAULT_USERS,
            help="Users who own the records, the login included (default "
            f"{demo.DEFAULT_USERS}: the named team); past the named team, more "
            "Sales Reps without a password, as a large organisation has.",
        )
        parser.add_argument("--email", default=demo.DEMO_EMAIL)
        parser.add_argument("--password", default=demo.DEMO_PASSWORD)
        parser.add_argument("--workspace", default=demo.DEMO_WORKSPACE)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the login) when the login is already a "
            "member of a workspace of that name.",
        )
        parser.add_argument(
            "--ops-admin",
            action="store_true",
            help="Also let the login into the Django admin (staff and superuser).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help="Random seed; the same seed on the same day gives the same data.",
        )

    def handle(self, *args, **options) -> None:
        try:
            result = demo.seed(
                records=options["records"],
                email=options["email"],
                password=options["password"],
                workspace_name=options["workspace"],
                if_empty=options["if_empty"],
                seed=options["seed"],
                users=options["users"],
                progress=self.stdout.write,
            )
        except errors.ValidationFailed as exc:
            raise CommandError(exc.message) from None
        workspace = result.workspace
        if options["ops_admin"]:
            account_services.make_ops_admin(result.email)
        if result.created:
            self.stdout.write(f"Done in {result.seconds:.1f}s.")
        self.stdout.write(f"Workspace {workspace.name!r}, id {workspace.pk}")
        if result.password is None:
            self.stdout.write(
                f"Login: {result.email} (existing user; password unchanged)"
            )
        else:
            self.stdout.write(f"Login: {result.email}  password: {result.password}")
        if result.created and result.team:
            self.stdout.write(f"Team: {', '.join(result.team)}")
        if result.created and result.extra_users:
            self.stdout.write(
                f"Plus {result.extra_users:,} Sales Reps who own records and have "
                "no password."
            )
