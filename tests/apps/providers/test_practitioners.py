"""Practitioners: specialties from the catalogue, ISO 639-1 languages, a clinician's login."""

from __future__ import annotations

import pytest

from apps.accounts.contracts import Role
from apps.core.errors import ValidationFailed
from apps.providers import public, services
from apps.providers.contracts import ProviderConflict, ProviderNotFound
from apps.providers.models import Practitioner
from tests.factories.accounts import user_in_role
from tests.factories.providers import PractitionerFactory, PractitionerRoleFactory

pytestmark = pytest.mark.django_db

BASE = {
    "prefix": "Dr.",
    "family_name": "Okafor",
    "given_name": "Ada",
    "qualifications": "MD",
    "specialty_codes": ["cardiology"],
    "languages": ["en"],
    "bio": "",
}


def test_practitioner_create_normalises_and_emits_practitioner_changed(emitted):
    info = public.practitioner_create(
        **{
            **BASE,
            "family_name": " Okafor ",
            "specialty_codes": ["pediatrics", "cardiology", "cardiology"],
            "languages": ["EN", "es", " fr", "es"],
        }
    )

    assert info.display_name == "Dr. Ada Okafor"
    assert [s.code for s in info.specialties] == ["cardiology", "pediatrics"]
    assert info.languages == ("en", "es", "fr")
    assert info.active
    assert public.practitioner_get(practitioner_id=info.id) == info
    assert emitted("providers.PractitionerChanged") == [
        {
            "practitioner_id": info.id,
            "active": True,
            "specialty_codes": ["cardiology", "pediatrics"],
            "languages": ["en", "es", "fr"],
        }
    ]


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"specialty_codes": ["cardiology", "astrology"]}, "specialty_codes"),
        ({"languages": ["en", "eng"]}, "languages"),
        ({"languages": ["xx"]}, "languages"),
        ({"family_name": ""}, "family_name"),
        ({"given_name": "x" * 101}, "given_name"),
        ({"bio": "x" * 2001}, "bio"),
    ],
)
def test_an_invalid_practitioner_is_refused_naming_the_field(fields, bad_field, emitted):
    with pytest.raises(ValidationFailed) as error:
        public.practitioner_create(**{**BASE, **fields})

    assert set(error.value.field_errors) == {bad_field}
    assert Practitioner.objects.count() == 0
    assert emitted("providers.PractitionerChanged") == []


def test_a_clinicians_login_can_be_linked_and_found_again():
    clinician = user_in_role(Role.CLINICIAN)

    info = public.practitioner_create(**BASE, user_id=clinician.pk)

    assert public.practitioner_id_for_user(user_id=clinician.pk) == info.id
    assert public.practitioner_id_for_user(user_id=user_in_role(Role.CLINICIAN).pk) is None


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.PATIENT, Role.ADMIN])
def test_linking_a_user_outside_the_clinician_role_is_refused(role):
    user = user_in_role(role)

    with pytest.raises(ValidationFailed) as error:
        public.practitioner_create(**BASE, user_id=user.pk)

    assert set(error.value.field_errors) == {"user_id"}
    assert Practitioner.objects.count() == 0


def test_linking_a_deactivated_clinician_is_refused():
    clinician = user_in_role(Role.CLINICIAN, is_active=False)

    with pytest.raises(ValidationFailed) as error:
        public.practitioner_create(**BASE, user_id=clinician.pk)

    assert set(error.value.field_errors) == {"user_id"}


def test_one_login_belongs_to_one_practitioner():
    clinician = user_in_role(Role.CLINICIAN)
    public.practitioner_create(**BASE, user_id=clinician.pk)

    with pytest.raises(ProviderConflict) as error:
        public.practitioner_create(**{**BASE, "given_name": "Bo"}, user_id=clinician.pk)

    assert set(error.value.field_errors) == {"user_id"}
    assert Practitioner.objects.count() == 1


def test_practitioner_update_replaces_fields_and_keeps_its_own_login():
    clinician = user_in_role(Role.CLINICIAN)
    info = public.practitioner_create(**BASE, user_id=clinician.pk)

    updated = public.practitioner_update(
        practitioner_id=info.id,
        **{**BASE, "specialty_codes": ["neurology"], "languages": ["de"], "bio": "Headaches."},
        active=True,
        user_id=clinician.pk,
    )

    assert [s.code for s in updated.specialties] == ["neurology"]
    assert updated.languages == ("de",)
    assert updated.bio == "Headaches."


def test_deactivating_a_practitioner_regenerates_their_active_roles(emitted):
    practitioner = PractitionerFactory()
    role = PractitionerRoleFactory(practitioner=practitioner)
    PractitionerRoleFactory(practitioner=practitioner, active=False)

    info = public.practitioner_update(
        practitioner_id=practitioner.pk, **BASE, active=False, user_id=None
    )

    assert not info.active
    assert emitted("providers.PractitionerChanged")[-1]["active"] is False
    assert emitted("providers.AvailabilityChanged") == [
        {
            "practitioner_role_id": role.pk,
            "practitioner_id": practitioner.pk,
            "location_id": role.location_id,
        }
    ]


def test_editing_a_practitioners_bio_does_not_touch_availability(emitted):
    practitioner = PractitionerFactory()
    PractitionerRoleFactory(practitioner=practitioner)

    public.practitioner_update(
        practitioner_id=practitioner.pk, **{**BASE, "bio": "New."}, active=True, user_id=None
    )

    assert emitted("providers.AvailabilityChanged") == []


def test_updating_an_unknown_practitioner_is_not_found():
    with pytest.raises(ProviderNotFound):
        public.practitioner_update(practitioner_id=999_999, **BASE, active=True, user_id=None)


def test_specialties_lists_the_catalogue_by_name():
    names = [s.name for s in public.specialties()]

    assert "Cardiology" in names
    assert names == sorted(names)


def test_specialty_create_adds_to_the_catalogue_and_emits(emitted):
    info = public.specialty_create(code="sports-medicine", name="Sports medicine")

    assert info in public.specialties()
    assert emitted("providers.SpecialtyChanged") == [
        {"specialty_id": info.id, "code": "sports-medicine"}
    ]


@pytest.mark.parametrize(
    ("code", "error"),
    [("cardiology", ProviderConflict), ("Sports Medicine", ValidationFailed)],
)
def test_a_taken_or_malformed_specialty_code_is_refused(code, error, emitted):
    with pytest.raises(error) as raised:
        public.specialty_create(code=code, name="Anything")

    assert set(raised.value.field_errors) == {"code"}
    assert emitted("providers.SpecialtyChanged") == []


def test_specialty_update_renames_and_keeps_the_code(emitted):
    cardiology = next(s for s in public.specialties() if s.code == "cardiology")

    renamed = services.specialty_update(specialty_id=cardiology.id, name="Heart medicine")

    assert (renamed.code, renamed.name) == ("cardiology", "Heart medicine")
    assert emitted("providers.SpecialtyChanged") == [
        {"specialty_id": cardiology.id, "code": "cardiology"}
    ]


def test_specialty_id_finds_a_code_or_none():
    cardiology = next(s for s in public.specialties() if s.code == "cardiology")

    assert public.specialty_id(code="cardiology") == cardiology.id
    assert public.specialty_id(code="astrology") is None
