"""The demo clinic: its shape (locations, practitioners, visit types) and its generated history.

Everything is created through the apps' public facades, so the same events are emitted as in
real use and every projection built from events is complete. A fixed random seed makes the data
the same on every machine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from apps.accounts.contracts import Role
from apps.accounts.public import (
    second_factor_enrolled,
    totp_device_install,
    user_create,
    user_find,
)
from apps.allergies import public as allergies
from apps.allergies.contracts import AllergyData, AssertedBy, ReactionData
from apps.patients import public as patients
from apps.patients.contracts import PatientData, RegistrationSource
from apps.providers import public as providers
from apps.scheduling import public as scheduling
from apps.scheduling.contracts import (
    AppointmentImport,
    AppointmentStatus,
    BookingChannel,
    SlotInfo,
)

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published in the README, dev data only
DEMO_STAFF = (
    ("admin@demo.clinic", Role.ADMIN, "Ada Admin"),
    ("clinician@demo.clinic", Role.CLINICIAN, "Dr. Cleo Clinician"),
    ("frontdesk@demo.clinic", Role.FRONT_DESK, "Frank Frontdesk"),
)
# The demo staff's authenticator secret (base32). Dev data only: seed_demo refuses production.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - published in the README
DEMO_PATIENT_LOGINS = 50
LOCATIONS = (
    ("HealthPortal Downtown", "100 Main Street", "New York", "10001", "America/New_York"),
    ("HealthPortal Harbor", "8 Harbor Way", "Boston", "02110", "America/New_York"),
    ("HealthPortal Lakeside", "55 Lake Shore Drive", "Chicago", "60611", "America/Chicago"),
)
SPECIALTIES = (
    "family-medicine", "internal-medicine", "pediatrics", "cardiology", "dermatology",
    "orthopedics", "obstetrics-gynecology", "radiology", "neurology", "allergy-immunology",
)  # fmt: skip
# (code, name, minutes, online bookable, allergen triggers)
APPOINTMENT_TYPES = (
    ("consultation", "Consultation", 20, True, ()),
    ("new-patient", "New patient visit", 40, True, ()),
    ("follow-up", "Follow-up", 20, True, ()),
    ("ct-contrast", "CT scan with contrast", 40, False, ("iodinated-contrast", "latex")),
    ("minor-procedure", "Minor procedure", 40, False, ("latex", "local-anaesthetics")),
    ("vaccination", "Vaccination", 20, True, ("vaccine-components", "egg", "gelatin")),
)
FAMILY = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Okafor", "Kowalski", "Haddad",
)  # fmt: skip
GIVEN = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Carlos", "Karen", "Daniel", "Lucia", "Matthew", "Nancy", "Anthony", "Lisa",
    "Mark", "Betty", "Sofia", "Sandra", "Diego", "Ashley", "Andrew", "Emily", "Joshua",
    "Donna", "Kenneth", "Michelle", "Kevin", "Carmen", "Amara", "Wei", "Fatima", "Noah",
)  # fmt: skip
# Start times of the demo's 40-minute slots (09:00-12:00 and 13:00-17:00, local).
HISTORY_TIMES = tuple(
    dt.time(h, m)
    for h, m in ((9, 0), (9, 40), (10, 20), (11, 0), (13, 0), (13, 40), (14, 20), (15, 0),
                 (15, 40), (16, 20))
)  # fmt: skip
COMMON_ALLERGENS = (
    ("penicillins", "medication", "high", ("urticaria", "anaphylaxis")),
    ("amoxicillin", "medication", "high", ("urticaria",)),
    ("sulfonamide-antibiotics", "medication", "low", ("rash",)),
    ("nsaids", "medication", "low", ("angioedema",)),
    ("codeine", "medication", "low", ("nausea", "vomiting")),
    ("iodinated-contrast", "medication", "high", ("urticaria", "bronchospasm")),
    ("latex", "environment", "high", ("contact dermatitis", "urticaria")),
    ("peanut", "food", "high", ("anaphylaxis",)),
    ("shellfish", "food", "high", ("urticaria", "angioedema")),
    ("egg", "food", "low", ("rash",)),
    ("cow-milk", "food", "low", ("diarrhoea",)),
    ("bee-venom", "environment", "high", ("anaphylaxis",)),
    ("grass-pollen", "environment", "low", ("rhinitis",)),
    ("cat-dander", "environment", "low", ("wheezing",)),
)


@dataclasses.dataclass(frozen=True)
class Scale:
    patients: int = 2000
    practitioners: int = 30
    appointments: int | None = None  # None: about six visits a patient over the year


@dataclasses.dataclass
class Report:
    logins: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    patients: int = 0
    appointments: int = 0
    created_clinic: bool = False
    patient_logins: int = 0


Progress = Callable[[str, int, int], None]


def seed(*, scale: Scale, progress: Progress, rng: random.Random | None = None) -> Report:
    """Create what is missing of the demo clinic; what exists is left as it is."""
    rng = rng or random.Random(2026)
    report = Report()
    password_hash = make_password(DEMO_PASSWORD)  # hashed once for every demo login
    for email, role, name in DEMO_STAFF:
        user = user_find(email=email) or user_create(
            email=email, role=role, password_hash=password_hash, display_name=name
        )
        if not second_factor_enrolled(user_id=user.id):
            totp_device_install(user_id=user.id, secret_base32=DEMO_TOTP_SECRET)
        report.logins.append((email, role.value))
    last_login = f"patient{DEMO_PATIENT_LOGINS}@demo.clinic"
    report.patient_logins = DEMO_PATIENT_LOGINS if user_find(email=last_login) else 0
    if any(location.name == LOCATIONS[0][0] for location in providers.locations()):
        return report  # the clinic exists already: running again adds nothing
    report.created_clinic = True
    clinic = _build_providers(scale=scale, rng=rng, progress=progress)
    patient_ids = _build_patients(scale=scale, rng=rng, progress=progress)
    report.patients = len(patient_ids)
    report.patient_logins = _link_patient_logins(patient_ids[:DEMO_PATIENT_LOGINS], password_hash)
    _build_allergies(patient_ids, rng=rng, progress=progress)
    report.appointments = _build_appointments(
        clinic, patient_ids, scale=scale, rng=rng, progress=progress
    )
    return report


@dataclasses.dataclass
class _Clinic:
    # (role id, practitioner id, location id, time zone, appointment type ids)
    roles: list[tuple[int, int, int, str, tuple[int, ...]]]
    type_minutes: dict[int, int]


def _build_providers(*, scale: Scale, rng: random.Random, progress: Progress) -> _Clinic:
    locations = [
        providers.location_create(
            name=name, address_line=street, city=city, postal_code=postal, country="US",
            timezone=zone,
        )
        for name, street, city, postal, zone in LOCATIONS
    ]  # fmt: skip
    types = {
        code: providers.appointment_type_create(
            code=code,
            name=name,
            duration_minutes=minutes,
            buffer_before_minutes=0,
            buffer_after_minutes=0,
            minimum_notice_minutes=120,
            booking_horizon_days=90,
            online_bookable=online,
            allergen_triggers=list(triggers),
        )
        for code, name, minutes, online, triggers in APPOINTMENT_TYPES
    }
    clinician = user_find(email="clinician@demo.clinic")
    desk = user_find(email="frontdesk@demo.clinic")
    for location in locations:
        for user in (clinician, desk):
            providers.staff_assign_location(user_id=user.id, location_id=location.id)
    roles = []
    for n in range(scale.practitioners):
        specialty = SPECIALTIES[n % len(SPECIALTIES)]
        practitioner = providers.practitioner_create(
            prefix="Dr.",
            family_name=FAMILY[(n * 7) % len(FAMILY)],
            given_name=GIVEN[(n * 5) % len(GIVEN)],
            qualifications="MD",
            specialty_codes=[specialty],
            languages=["en", "es"] if n % 3 == 0 else ["en"],
            bio=f"Board-certified in {specialty.replace('-', ' ')}.",
            user_id=clinician.id if n == 0 else None,
        )
        offered = [types["consultation"].id, types["new-patient"].id, types["follow-up"].id]
        if specialty == "radiology":
            offered.append(types["ct-contrast"].id)
        if specialty in ("dermatology", "orthopedics"):
            offered.append(types["minor-procedure"].id)
        if specialty in ("family-medicine", "pediatrics"):
            offered.append(types["vaccination"].id)
        location = locations[n % len(locations)]
        role = providers.practitioner_role_create(
            practitioner_id=practitioner.id, location_id=location.id, appointment_type_ids=offered
        )
        for weekday in range(5):
            for start, end in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))):
                providers.availability_rule_create(
                    role_id=role.id, weekday=weekday, start_time=start, end_time=end,
                    slot_minutes=40, capacity=1,
                )  # fmt: skip
        roles.append((role.id, practitioner.id, location.id, location.timezone, tuple(offered)))
        progress("practitioners", n + 1, scale.practitioners)
    minutes = {t.id: t.duration_minutes for t in types.values()}
    return _Clinic(roles=roles, type_minutes=minutes)


def _patient_rows(count: int, rng: random.Random) -> Iterator[PatientData]:
    today = timezone.localdate()
    for n in range(count):
        family, given = rng.choice(FAMILY), rng.choice(GIVEN)
        spanish = rng.random() < 0.2
        yield PatientData(
            family_name=family,
            given_name=given,
            birth_date=today - dt.timedelta(days=rng.randint(365, 95 * 365)),
            gender=rng.choice(("female", "male", "female", "male", "other", "unknown")),
            phone=f"+1555{n:07d}",
            email=f"patient{n + 1}@demo.clinic",
            address_line=f"{rng.randint(1, 999)} {rng.choice(FAMILY)} Street",
            city=rng.choice(("New York", "Boston", "Chicago")),
            postal_code=f"{rng.randint(10000, 99999)}",
            country="US",
            preferred_language="es" if spanish else "en",
            consent_email=rng.random() < 0.85,
            consent_sms=rng.random() < 0.6,
        )


def _build_patients(*, scale: Scale, rng: random.Random, progress: Progress) -> list[int]:
    ids: list[int] = []
    rows = list(_patient_rows(scale.patients, rng))
    step = 50_000
    for offset in range(0, len(rows), step):
        ids.extend(
            patients.patient_bulk_register(
                rows=rows[offset : offset + step], source=RegistrationSource.IMPORT
            )
        )
        progress("patients", len(ids), scale.patients)
    return ids


def _link_patient_logins(patient_ids: list[int], password_hash: str) -> int:
    for n, patient_id in enumerate(patient_ids, start=1):
        email = f"patient{n}@demo.clinic"
        user = user_find(email=email) or user_create(
            email=email, role=Role.PATIENT, password_hash=password_hash
        )
        if patients.patient_id_for_user(user_id=user.id) is None:
            patients.patient_link_user(patient_id=patient_id, user_id=user.id)
    return len(patient_ids)


def _build_allergies(patient_ids: list[int], *, rng: random.Random, progress: Progress) -> None:
    rows: list[AllergyData] = []
    for patient_id in patient_ids:
        draw = rng.random()
        if draw < 0.30:  # about 30% have allergies
            for code, category, criticality, manifestations in rng.sample(
                COMMON_ALLERGENS, rng.choice((1, 1, 1, 2, 3))
            ):
                rows.append(
                    AllergyData(
                        patient_id=patient_id,
                        substance_code=code,
                        category=category,
                        criticality=criticality,
                        asserted_by=AssertedBy.STAFF,
                        verification_status="confirmed" if rng.random() < 0.85 else "unconfirmed",
                        reactions=(
                            ReactionData(
                                manifestations=manifestations,
                                severity="severe" if criticality == "high" else "mild",
                                exposure_route="oral" if category != "environment" else "skin",
                            ),
                        ),
                    )
                )
        elif draw < 0.50:  # some have an explicit "no known allergies"
            rows.append(AllergyData(patient_id=patient_id, no_known_allergies=True))
    allergies.allergy_bulk_record(rows=rows)
    progress("allergies", len(rows), len(rows))


def _no_show_probability(lead_days: int, earlier_no_shows: int, earlier_visits: int) -> float:
    """Rises with lead time and with the patient's own history (tuned to 15-20% overall)."""
    history = (earlier_no_shows + 0.5) / (earlier_visits + 3)
    lead = 1 - math.exp(-lead_days / 30)
    return min(0.9, 0.035 + 0.11 * lead + 0.45 * history)


def _build_appointments(
    clinic: _Clinic, patient_ids: list[int], *, scale: Scale, rng: random.Random, progress: Progress
) -> int:
    now = timezone.now()
    total = scale.appointments if scale.appointments is not None else len(patient_ids) * 6
    # About 8% upcoming, as many as the next month's free slots hold; the rest is history, so
    # the total asked for is what is created.
    scheduling.slots_extend_horizon()
    free = scheduling.slots_available(start=now, end=now + dt.timedelta(days=30), limit=10**7)
    upcoming_count = min(total - int(total * 0.92), len(free))
    # One visit a patient a day keeps every patient's visits apart (the database would refuse
    # an overlap).
    used: set[tuple[int, dt.date]] = set()
    rows = _history_rows(clinic, patient_ids, total - upcoming_count, used=used, rng=rng, now=now)
    imported = 0
    step = 20_000
    for offset in range(0, len(rows), step):
        imported += scheduling.appointments_bulk_import(rows=rows[offset : offset + step])
        progress("appointment history", imported, len(rows))

    upcoming = _upcoming_rows(
        clinic, patient_ids, free, upcoming_count, used=used, rng=rng, now=now
    )
    imported += scheduling.appointments_bulk_import(rows=upcoming)
    progress("upcoming bookings", len(upcoming), len(upcoming))
    return imported


def _history_rows(
    clinic: _Clinic,
    patient_ids: list[int],
    count: int,
    *,
    used: set[tuple[int, dt.date]],
    rng: random.Random,
    now: dt.datetime,
) -> list[AppointmentImport]:
    """Past visits in time order, each patient's no-shows shaped by their own past."""
    unreliable = {pid for pid in patient_ids if rng.random() < 0.2}  # a minority miss often
    # Distinct (practitioner, weekday, slot time) cells, drawn without replacement: no
    # practitioner is double-booked. Twelve months, or longer when the practitioners' hours
    # could not hold that many visits with at most half of the cells taken.
    today = now.date()
    cells_per_day = len(clinic.roles) * len(HISTORY_TIMES)
    weekdays_needed = math.ceil(2 * count / cells_per_day)
    days = []
    day = today - dt.timedelta(days=1)
    while len(days) < weekdays_needed or (today - day).days <= 365:
        if day.weekday() < 5:
            days.append(day)
        day -= dt.timedelta(days=1)
    cells = rng.sample(range(len(days) * cells_per_day), min(count, len(days) * cells_per_day))
    zones = [ZoneInfo(role[3]) for role in clinic.roles]
    starts: list[tuple[dt.datetime, int]] = []
    for cell in cells:
        day_index, rest = divmod(cell, cells_per_day)
        role_index, time_index = divmod(rest, len(HISTORY_TIMES))
        local = dt.datetime.combine(
            days[day_index], HISTORY_TIMES[time_index], tzinfo=zones[role_index]
        )
        starts.append((local.astimezone(dt.UTC), role_index))
    starts.sort()
    history: dict[int, list[int]] = {}
    rows = []
    for start, role_index in starts:
        _, practitioner_id, location_id, zone_name, type_ids = clinic.roles[role_index]
        patient_id = _free_patient(patient_ids, start.date(), used, rng)
        if patient_id is None:
            continue
        type_id = rng.choice(type_ids[:3])
        lead_days = int(rng.expovariate(1 / 14))
        past = history.setdefault(patient_id, [0, 0])
        p_no_show = _no_show_probability(lead_days, past[0], past[1])
        if patient_id in unreliable:
            p_no_show = min(0.9, p_no_show * 1.8)
        draw = rng.random()
        if draw < 0.06:
            status = AppointmentStatus.CANCELLED
        elif draw < 0.06 + p_no_show * 0.94:
            status = AppointmentStatus.NOSHOW
            past[0] += 1
        else:
            status = AppointmentStatus.FULFILLED
        past[1] += 1
        rows.append(
            AppointmentImport(
                patient_id=patient_id,
                practitioner_id=practitioner_id,
                location_id=location_id,
                appointment_type_id=type_id,
                start=start,
                end=start + dt.timedelta(minutes=clinic.type_minutes[type_id]),
                timezone=zone_name,
                status=status,
                channel=BookingChannel.PATIENT if rng.random() < 0.4 else BookingChannel.STAFF,
                booked_at=start - dt.timedelta(days=lead_days, hours=rng.randint(1, 8)),
            )
        )
    return rows


def _free_patient(
    patient_ids: list[int], day: dt.date, used: set[tuple[int, dt.date]], rng: random.Random
) -> int | None:
    """A patient with no visit that day (the database refuses a patient overlapping visits)."""
    for _ in range(10):
        patient_id = rng.choice(patient_ids)
        if (patient_id, day) not in used:
            used.add((patient_id, day))
            return patient_id
    return None


def _upcoming_rows(
    clinic: _Clinic,
    patient_ids: list[int],
    free: list[SlotInfo],
    count: int,
    *,
    used: set[tuple[int, dt.date]],
    rng: random.Random,
    now: dt.datetime,
) -> list[AppointmentImport]:
    """Bookings in `count` of the free slots of the next 30 days."""
    free = list(free)
    rng.shuffle(free)
    types_of_role = {role[0]: role[4] for role in clinic.roles}
    rows = []
    for slot in free[:count]:
        patient_id = _free_patient(patient_ids, slot.start.date(), used, rng)
        if patient_id is None:
            continue
        type_id = rng.choice(types_of_role[slot.practitioner_role_id][:3])
        rows.append(
            AppointmentImport(
                patient_id=patient_id,
                practitioner_id=slot.practitioner_id,
                location_id=slot.location_id,
                appointment_type_id=type_id,
                start=slot.start,
                end=slot.start + dt.timedelta(minutes=clinic.type_minutes[type_id]),
                timezone=slot.timezone,
                status=AppointmentStatus.BOOKED,
                channel=BookingChannel.PATIENT if rng.random() < 0.4 else BookingChannel.STAFF,
                booked_at=now - dt.timedelta(days=rng.randint(0, 20)),
                slot_id=slot.id,
            )
        )
    return rows
