"""Identity and tenancy: users, workspaces, memberships, roles, groups, profiles,
and the credentials that act for them (tokens, API keys, OAuth bindings)."""

from uuid import uuid4

from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings
from uuid_utils.compat import uuid7


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **extra
    ) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address; belongs to workspaces."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="May sign in to the Django admin (ops)."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return (self.name or self.email).split(" ")[0]


class Workspace(models.Model):
    """The tenant. Every CRM row belongs to exactly one workspace.

    ``id`` is the ``entityId`` of the entity API. ``metadata_version`` is a new
    random token whenever the workspace's objects, fields, pipelines or rules
    change, so caches keyed by it never serve stale metadata — not even after
    a change that rolled back (a counter would hand its number out again).
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    currency = models.CharField(max_length=3, default="USD")
    metadata_version = models.UUIDField(default=uuid4, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A place in the role hierarchy: a manager sees what their subordinates own."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="roles"
    )
    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The role this one reports to.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="role_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """A permission profile: what each object allows its holders to do."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="profiles"
    )
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=255, blank=True)
    is_admin = models.BooleanField(
        default=False,
        help_text="Every right on every object, and the setup console.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="profile_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ObjectPermission(models.Model):
    """The rights one profile grants on one object (by api name)."""

    profile = models.ForeignKey(
        Profile, on_delete=models.CASCADE, related_name="object_permissions"
    )
    object_name = models.CharField(max_length=80)
    can_read = models.BooleanField(default=True)
    can_create = models.BooleanField(default=False)
    can_edit = models.BooleanField(default=False)
    can_delete = models.BooleanField(default=False)
    can_view_all = models.BooleanField(default=False)
    can_modify_all = models.BooleanField(default=False)

    class Meta:
        ordering = ["object_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "object_name"], name="objectpermission_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.profile} · {self.object_name}"


class PublicGroup(models.Model):
    """A named set of users that sharing rules and ``in_group`` filters refer to."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="public_groups"
    )
    name = models.CharField(max_length=120)
    members = models.ManyToManyField(User, blank=True, related_name="public_groups")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="publicgroup_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's seat in a workspace, with a role and a permission profile."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    profile = models.ForeignKey(
        Profile, on_delete=models.PROTECT, related_name="members"
    )
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user"], name="membership_unique_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace}"


# -- credentials -------------------------------------------------------------------


class SecretCredential(models.Model):
    """A bearer secret shown once: only its SHA-256 and first characters are kept.

    ``scopes`` lists ``read:<object>`` / ``write:<object>`` / ``read:crm`` /
    ``write:crm``; ``rate_limit`` (requests per window) overrides the default.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=120)
    token_prefix = models.CharField(
        max_length=16, editable=False, help_text="The first characters, to tell it by."
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, blank=True)
    rate_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests per window; empty: the default."
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…)"

    @property
    def is_usable(self) -> bool:
        """Not revoked and not expired (the owner's membership is checked apart)."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class PersonalAccessToken(SecretCredential):
    """A user's token for scripts (``pat_…``): acts as the user in one workspace,
    with the user's rights (narrowed by ``scopes`` when given)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="personal_access_tokens"
    )
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="personal_access_tokens"
    )

    class Meta(SecretCredential.Meta):
        verbose_name = "personal access token"


class ApiKey(SecretCredential):
    """A named integration's key (``ak_…``) in one workspace.

    It acts as a service principal with the rights of the admin who created it,
    narrowed to its scopes: it stops working when that admin is deactivated or
    leaves the workspace. It may never manage credentials.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="api_keys"
    )
    created_by = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_keys"
    )

    class Meta(SecretCredential.Meta):
        verbose_name = "API key"


class OAuthGrantWorkspace(models.Model):
    """The workspace a user chose when authorizing an OAuth client (per code)."""

    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL,
        on_delete=models.CASCADE,
        related_name="hotcrm_workspace",
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"grant {self.grant_id} → {self.workspace_id}"


class OAuthTokenWorkspace(models.Model):
    """The workspace an OAuth access token acts in; refreshes carry it over."""

    access_token = models.OneToOneField(
        oauth2_settings.ACCESS_TOKEN_MODEL,
        on_delete=models.CASCADE,
        related_name="hotcrm_workspace",
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"token {self.access_token_id} → {self.workspace_id}"
