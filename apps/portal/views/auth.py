"""Staff sign-in: password, then a TOTP code (or a backup code); enrolment; sign-out."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts import public as accounts
from apps.portal.access import Permission, staff_view


class SignInForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=16,
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("portal:today")


def _with_next(route: str, request: HttpRequest) -> str:
    return f"{reverse(route)}?{urlencode({'next': _next_url(request)})}"


def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method != "POST" and _signed_in_staff(request):
        # Half-way through signing in (or done): go on from where they are.
        if request.user.is_verified():
            return HttpResponseRedirect(_next_url(request))
        return HttpResponseRedirect(_with_next("portal:two-factor", request))
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = accounts.email_normalize(form.cleaned_data["email"])
        # The keyword is `username`: django-axes counts failures per (login, IP) from it.
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                form.add_error(None, "Too many failed sign-ins; try again in 15 minutes.")
                status = 429
            else:
                form.add_error(None, "The email or password is not correct.")
                status = 401
        elif not accounts.user_is_staff(user_id=user.pk):
            form.add_error(None, "This is not a staff account. Patients use the patient app.")
            status = 403
        else:
            login(request, user)
            if accounts.second_factor_enrolled(user_id=user.pk):
                return HttpResponseRedirect(_with_next("portal:two-factor", request))
            return HttpResponseRedirect(_with_next("portal:two-factor-enrol", request))
    return render(
        request,
        "portal/auth/sign_in.html",
        {"form": form, "next": _next_url(request)},
        status=status,
    )


def _not_stored(response: HttpResponse) -> HttpResponse:
    """A page with a secret shown once (the TOTP key, backup codes): no cache may keep it."""
    add_never_cache_headers(response)
    return response


def _signed_in_staff(request: HttpRequest) -> bool:
    return request.user.is_authenticated and accounts.user_is_staff(user_id=request.user.pk)


def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in: a code from the app, or a backup code."""
    if not _signed_in_staff(request):
        return HttpResponseRedirect(_with_next("portal:login", request))
    if request.user.is_verified():
        return HttpResponseRedirect(_next_url(request))
    if not accounts.second_factor_enrolled(user_id=request.user.pk):
        return HttpResponseRedirect(_with_next("portal:two-factor-enrol", request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if accounts.second_factor_verify(request=request, token=form.cleaned_data["code"]):
            return HttpResponseRedirect(_next_url(request))
        form.add_error("code", "That code is not correct, or was already used. Try the next one.")
        status = 401
    return render(
        request,
        "portal/auth/two_factor.html",
        {"form": form, "next": _next_url(request)},
        status=status,
    )


def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: scan a QR code, confirm with the app's first code, keep the backup codes."""
    if not _signed_in_staff(request):
        return HttpResponseRedirect(_with_next("portal:login", request))
    if accounts.second_factor_enrolled(user_id=request.user.pk):
        return HttpResponseRedirect(_with_next("portal:two-factor", request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        codes = accounts.totp_enrolment_confirm(request=request, token=form.cleaned_data["code"])
        if codes is not None:
            return _not_stored(
                render(
                    request,
                    "portal/auth/backup_codes.html",
                    {"codes": codes, "next": _next_url(request), "enrolled": True},
                )
            )
        form.add_error("code", "That code is not correct. Check the app and try the next code.")
        status = 400
    enrolment = accounts.totp_enrolment_start(user_id=request.user.pk)
    return _not_stored(
        render(
            request,
            "portal/auth/enrol.html",
            {"form": form, "enrolment": enrolment, "next": _next_url(request)},
            status=status,
        )
    )


@require_POST
@staff_view(Permission.VIEW)
def backup_codes_regenerate(request: HttpRequest) -> HttpResponse:
    codes = accounts.backup_codes_regenerate(user_id=request.staff.user_id)
    return _not_stored(
        render(
            request,
            "portal/auth/backup_codes.html",
            {"codes": codes, "next": reverse("portal:today"), "enrolled": False},
        )
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You are signed out.")
    return HttpResponseRedirect(reverse("portal:login"))


urlpatterns = [
    path("login/", sign_in, name="login"),
    path("login/verify/", two_factor, name="two-factor"),
    path("login/enrol/", two_factor_enrol, name="two-factor-enrol"),
    path("logout/", sign_out, name="logout"),
    path("account/backup-codes/", backup_codes_regenerate, name="backup-codes"),
]
