"""Users in the Django admin, signed in by email; deactivation and second-factor resets go
through the services, so sessions and tokens end with them."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from apps.accounts import services
from apps.accounts.models import User


class UserCreateForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    ordering = ("email",)
    list_display = ("email", "display_name", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "groups")
    search_fields = ("email", "display_name")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "display_name", "password1", "password2")},
        ),
    )
    filter_horizontal = ("groups",)
    actions = ("deactivate", "reset_second_factor")

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        deactivating = change and "is_active" in form.changed_data and not obj.is_active
        if deactivating:
            # The service makes this change, with its effects (sessions, tokens, the event).
            obj.is_active = True
        super().save_model(request, obj, form, change)
        if deactivating:
            services.user_deactivate(user_id=obj.pk, by_id=request.user.pk)
            obj.is_active = False

    @admin.action(description="Deactivate (ends their sessions and tokens now)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        ids = list(queryset.filter(is_active=True).values_list("pk", flat=True))
        for user_id in ids:
            services.user_deactivate(user_id=user_id, by_id=request.user.pk)
        self.message_user(request, f"{len(ids)} user(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Reset second factor (lost device: enrol again at next sign-in)")
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        for user_id in ids:
            services.user_second_factor_reset(user_id=user_id, by_id=request.user.pk)
        self.message_user(
            request,
            f"Second factor reset for {len(ids)} user(s); they enrol a new device at next sign-in.",
            messages.SUCCESS,
        )
