"""The Django admin for ops: users, workspaces and what grants access in them.

The admin is cross-tenant (staff see every workspace), so the forms check that
a membership's role and profile, and a role's parent, belong to its workspace.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts import forms as signin_forms
from accounts.models import (
    ApiKey,
    Membership,
    OAuthGrantWorkspace,
    OAuthTokenWorkspace,
    ObjectPermission,
    PersonalAccessToken,
    Profile,
    PublicGroup,
    Role,
    User,
    Workspace,
)

# /admin/login/ goes through the same sign-in throttle as /login/ and the API.
admin.site.login_form = signin_forms.AdminSignInForm


def _unique_email(form: forms.ModelForm) -> str:
    """The form's email, lower-cased; sign-in matches emails case-insensitively,
    so two addresses that differ only in case are the same user."""
    email = User.objects.normalize_email(form.cleaned_data["email"]).lower()
    taken = User.objects.filter(email__iexact=email)
    if form.instance.pk is not None:
        taken = taken.exclude(pk=form.instance.pk)
    if taken.exists():
        raise ValidationError("A user with this email address already exists.")
    return email


class UserCreationForm(auth_forms.AdminUserCreationForm):
    """A new user: email, name and a password (or none, for SSO-only users)."""

    class Meta:
        model = User
        fields = ("email", "name")

    def clean_email(self) -> str:
        return _unique_email(self)


class UserChangeForm(auth_forms.UserChangeForm):
    """A user's details; the password is changed on its own page."""

    class Meta:
        model = User
        fields = (
            "email",
            "password",
            "name",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
            "last_login",
            "date_joined",
        )

    def clean_email(self) -> str:
        return _unique_email(self)


class MembershipForm(forms.ModelForm):
    """A seat whose role and profile belong to the seat's own workspace."""

    def clean(self) -> dict:
        cleaned = super().clean()
        workspace = cleaned.get("workspace")
        for name in ("role", "profile"):
            chosen = cleaned.get(name)
            if workspace and chosen and chosen.workspace_id != workspace.pk:
                self.add_error(name, f"Choose a {name} of {workspace}.")
        return cleaned


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    fields = ("workspace", "role", "profile", "is_active", "joined_at")
    readonly_fields = ("joined_at",)
    autocomplete_fields = ("workspace", "role", "profile")
    extra = 0


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("name",)}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = (
        "email",
        "name",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("email", "name")
    ordering = ("email",)
    readonly_fields = ("last_login",)
    inlines = (MembershipInline,)
    show_full_result_count = False


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    """Workspaces are edited here but not added or deleted: a new one needs its
    profiles and pipelines (``crm.workspaces.create``), and deleting a tenant
    through this page would collect every one of its rows. Deactivate instead."""

    list_display = (
        "name",
        "slug",
        "currency",
        "is_active",
        "member_count",
        "created_at",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "=id")
    fields = (
        "id",
        "name",
        "slug",
        "currency",
        "is_active",
        "metadata_version",
        "created_at",
    )
    readonly_fields = ("id", "metadata_version", "created_at")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, workspace: Workspace) -> int:
        return workspace.member_count

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RoleForm(forms.ModelForm):
    def clean(self) -> dict:
        cleaned = super().clean()
        workspace, parent = cleaned.get("workspace"), cleaned.get("parent")
        if workspace and parent and parent.workspace_id != workspace.pk:
            self.add_error("parent", f"Choose a role of {workspace}.")
        if parent and self.instance.pk is not None and parent.pk == self.instance.pk:
            self.add_error("parent", "A role cannot report to itself.")
        return cleaned


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    form = RoleForm
    list_display = ("name", "workspace", "parent")
    list_filter = ("workspace",)
    list_select_related = ("workspace", "parent")
    search_fields = ("name", "workspace__name")
    autocomplete_fields = ("workspace", "parent")


class ObjectPermissionInline(admin.TabularInline):
    model = ObjectPermission
    extra = 0


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "is_admin", "description")
    list_filter = ("is_admin", "workspace")
    list_select_related = ("workspace",)
    search_fields = ("name", "workspace__name")
    autocomplete_fields = ("workspace",)
    inlines = (ObjectPermissionInline,)


@admin.register(ObjectPermission)
class ObjectPermissionAdmin(admin.ModelAdmin):
    list_display = (
        "object_name",
        "profile",
        "can_read",
        "can_create",
        "can_edit",
        "can_delete",
        "can_view_all",
        "can_modify_all",
    )
    list_filter = (
        "can_read",
        "can_create",
        "can_edit",
        "can_delete",
        "can_view_all",
        "can_modify_all",
        "profile__workspace",
    )
    list_select_related = ("profile",)
    search_fields = ("object_name", "profile__name")
    autocomplete_fields = ("profile",)


@admin.register(PublicGroup)
class PublicGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "member_count")
    list_filter = ("workspace",)
    list_select_related = ("workspace",)
    search_fields = ("name", "workspace__name")
    autocomplete_fields = ("workspace", "members")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, group: PublicGroup) -> int:
        return group.member_count


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ("user", "workspace", "role", "profile", "is_active", "joined_at")
    list_filter = ("is_active", "profile__is_admin", "workspace")
    list_select_related = ("user", "workspace", "role", "profile")
    search_fields = ("user__email", "user__name", "workspace__name")
    autocomplete_fields = ("user", "workspace", "role", "profile")
    readonly_fields = ("joined_at",)
    show_full_result_count = False


class CredentialAdmin(admin.ModelAdmin):
    """Tokens and keys are issued in the setup console or the API, where the
    secret is shown once; here ops look them up by prefix and revoke them."""

    list_filter = ("workspace",)
    search_fields = ("name", "=token_prefix")
    readonly_fields = ("token_prefix", "last_used_at", "created_at")
    actions = ("revoke_selected",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return super().has_change_permission(request)

    @admin.display(boolean=True, description="usable")
    def usable(self, credential: PersonalAccessToken | ApiKey) -> bool:
        return credential.is_usable

    @admin.action(
        permissions=["revoke"], description="Revoke selected %(verbose_name_plural)s"
    )
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        revoked = queryset.filter(revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        self.message_user(request, f"Revoked {revoked}.")


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(CredentialAdmin):
    list_display = (
        "name",
        "token_prefix",
        "user",
        "workspace",
        "usable",
        "expires_at",
        "last_used_at",
        "created_at",
    )
    list_select_related = ("user", "workspace")
    search_fields = ("name", "=token_prefix", "user__email")


@admin.register(ApiKey)
class ApiKeyAdmin(CredentialAdmin):
    list_display = (
        "name",
        "token_prefix",
        "workspace",
        "created_by",
        "usable",
        "expires_at",
        "last_used_at",
        "created_at",
    )
    list_select_related = ("workspace", "created_by")


class OAuthBindingAdmin(admin.ModelAdmin):
    """Which workspace an OAuth grant or token acts in: written by the OAuth
    flow, read here. Grants and tokens show by id: their text is the secret."""

    list_filter = ("workspace",)
    list_select_related = ("workspace",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(OAuthGrantWorkspace)
class OAuthGrantWorkspaceAdmin(OAuthBindingAdmin):
    list_display = fields = readonly_fields = ("grant_id", "workspace")


@admin.register(OAuthTokenWorkspace)
class OAuthTokenWorkspaceAdmin(OAuthBindingAdmin):
    list_display = fields = readonly_fields = ("access_token_id", "workspace")
