"""Staff second factor (django-otp): TOTP enrolment, backup codes, verification, resets.

Each staff user has at most one confirmed TOTP device (an authenticator app) and one set of
single-use backup codes. Enrolment creates an unconfirmed device; the first correct code
confirms it and issues fresh backup codes, shown once.
"""

from __future__ import annotations

import base64
import binascii

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.contracts import TotpEnrolment
from apps.accounts.models import User

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"


def _base32(hex_key: str) -> str:
    return base64.b32encode(binascii.unhexlify(hex_key)).decode().rstrip("=")


def has_confirmed_totp(*, user_id: int) -> bool:
    return TOTPDevice.objects.filter(user_id=user_id, confirmed=True).exists()


@transaction.atomic
def totp_enrolment_start(*, user_id: int) -> TotpEnrolment:
    """The pending (unconfirmed) device of a user without a confirmed one, created if needed."""
    device = TOTPDevice.objects.filter(user_id=user_id, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user_id=user_id, name=TOTP_DEVICE_NAME, confirmed=False)
    uri = device.config_url
    svg = segno.make(uri, error="m").svg_inline(scale=5, title="Scan with an authenticator app")
    return TotpEnrolment(secret_base32=_base32(device.key), provisioning_uri=uri, qr_svg=svg)


@transaction.atomic
def totp_enrolment_confirm(*, request: HttpRequest, token: str) -> list[str] | None:
    """Confirm the pending device with its first code; on success the session is verified and
    the fresh backup codes are returned (the only time they can be read). None: wrong code."""
    user: User = request.user
    device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=False).first()
    if device is None or not device.verify_token(token.strip()):
        return None
    TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return _backup_codes_replace(user_id=user.pk)


def _backup_codes_replace(*, user_id: int) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user_id=user_id, defaults={"name": BACKUP_DEVICE_NAME, "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def backup_codes_regenerate(*, user_id: int) -> list[str]:
    """New backup codes; the old ones stop working."""
    return _backup_codes_replace(user_id=user_id)


def backup_codes_remaining(*, user_id: int) -> int:
    return StaticToken.objects.filter(device__user_id=user_id, device__confirmed=True).count()


def second_factor_verify(*, request: HttpRequest, token: str) -> bool:
    """Check a code from the authenticator app, else a backup code (used up on success), and
    mark the session verified. django-otp throttles each device after failures."""
    user: User = request.user
    token = token.strip().replace(" ", "")
    devices = [
        *TOTPDevice.objects.filter(user_id=user.pk, confirmed=True),
        *StaticDevice.objects.filter(user_id=user.pk, confirmed=True),
    ]
    for device in devices:
        verified = verify_token(user, device.persistent_id, token)
        if verified is not None:
            otp_login(request, verified)
            return True
    return False


@transaction.atomic
def second_factor_reset(*, user_id: int) -> None:
    """An admin's reset of a lost device: the user enrols again at their next sign-in."""
    TOTPDevice.objects.filter(user_id=user_id).delete()
    StaticDevice.objects.filter(user_id=user_id).delete()


@transaction.atomic
def totp_device_install(*, user_id: int, secret_base32: str) -> None:
    """Give a user a confirmed device with a known secret: demo staff only (seed_demo)."""
    if not settings.DEMO_DATA_ALLOWED:
        raise RuntimeError("A known TOTP secret is for demo data only.")
    padded = secret_base32 + "=" * (-len(secret_base32) % 8)
    key = binascii.hexlify(base64.b32decode(padded)).decode()
    TOTPDevice.objects.filter(user_id=user_id).delete()
    TOTPDevice.objects.create(user_id=user_id, name=TOTP_DEVICE_NAME, key=key, confirmed=True)
