"""A synthetic register: members in several types of work whose matters follow a gamma–Poisson
model (members differ in their own rate), with planted high-rate and rising members. The demo, the
tests and the benchmark use it; it writes the same CSV files a mutual would import."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from portal.cases.models import PROVINCES

# Matters per member-year by type of work (about one per member per decade on average).
BASE_RATES = {
    "family_medicine": 0.08,
    "emergency_medicine": 0.13,
    "obstetrics_gynaecology": 0.18,
    "general_surgery": 0.15,
    "internal_medicine": 0.07,
    "psychiatry": 0.06,
}
KIND_SHARES = {"legal_action": 0.25, "college_complaint": 0.5, "hospital_matter": 0.25}
FACTORS = ("communication", "documentation", "consent", "diagnosis", "follow_up", "wellness")
FIRST_NAMES = ("Alex", "Sam", "Marie", "Jean", "Priya", "Chen", "Olivia", "Louis", "Fatima", "Noah")
LAST_NAMES = ("Martin", "Roy", "Singh", "Wong", "Tremblay", "Smith", "Côté", "Nguyen", "Brown")


@dataclass
class FixedMember:
    """A member the caller writes out in full (a demo member), with their matters as
    (opened_on, kind) pairs."""

    member_number: str
    name: str
    email: str
    language: str
    type_of_work: str
    province: str
    member_since: date
    matters: list[tuple[date, str]] = field(default_factory=list)


@dataclass
class Register:
    members: list[dict]
    matters: list[dict]
    planted_high: list[str]  # member numbers
    planted_rising: list[str]

    def csv_files(self) -> tuple[bytes, bytes]:
        return _csv(MEMBER_COLUMNS, self.members), _csv(MATTER_COLUMNS, self.matters)


MEMBER_COLUMNS = [
    "member_number", "name", "email", "language", "type_of_work", "province", "member_since",
]  # fmt: skip
MATTER_COLUMNS = ["matter_number", "kind", "member_number", "opened_on", "factors"]


def _csv(columns: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def generate(
    members: int,
    *,
    today: date,
    seed: int = 2026,
    frailty_variance: float = 0.3,
    planted_high: int = 0,
    planted_rising: int = 0,
    planted_ratio: float = 5.0,
    rising_ratio: float = 8.0,
    fixed: list[FixedMember] = (),
    rates: dict[str, float] | None = None,
    prefix: str = "R",
) -> Register:
    """`members` synthetic members (plus `fixed`), their matters over their whole membership."""
    rng = np.random.default_rng(seed)
    rates = rates or BASE_RATES
    types = list(rates)
    type_index = rng.integers(0, len(types), members)
    years_member = rng.uniform(1, 35, members)
    planted = planted_high + planted_rising
    years_member[:planted] = rng.uniform(12, 35, planted)  # a full window to stand out in
    since_days = (years_member * 365.25).astype(int)
    theta = (
        rng.gamma(1 / frailty_variance, frailty_variance, members)
        if frailty_variance
        else np.ones(members)
    )
    rising = np.zeros(members, bool)
    theta[:planted_high] = planted_ratio
    rising[planted_high : planted_high + planted_rising] = True
    theta[rising] = 1.0
    base = np.array([rates[t] for t in types])[type_index] * theta
    recent_days = np.minimum(since_days, 3 * 365)
    earlier_days = since_days - recent_days
    recent_rate = np.where(rising, base * rising_ratio, base)
    counts_earlier = rng.poisson(base * earlier_days / 365.25)
    counts_recent = rng.poisson(recent_rate * recent_days / 365.25)

    member_rows, matter_rows = [], []
    numbers = [f"{prefix}-{i + 1:06d}" for i in range(members)]
    for i, number in enumerate(numbers):
        member_rows.append(
            {
                "member_number": number,
                "name": f"Dr. {FIRST_NAMES[i % len(FIRST_NAMES)]} "
                f"{LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]}",
                "email": f"{number.lower()}@register.example.org",
                "language": "fr" if i % 4 == 0 else "en",
                "type_of_work": types[type_index[i]],
                "province": PROVINCES[i % len(PROVINCES)],
                "member_since": (today - timedelta(days=int(since_days[i]))).isoformat(),
            }
        )
    kinds = list(KIND_SHARES)
    shares = list(KIND_SHARES.values())
    for part, counts, start, length in (
        ("e", counts_earlier, since_days, earlier_days),
        ("r", counts_recent, recent_days, recent_days),
    ):
        owners = np.repeat(np.arange(members), counts)
        offsets = (rng.uniform(0, 1, len(owners)) * length[owners]).astype(int)
        opened = start[owners] - offsets  # days before today
        chosen = rng.choice(len(kinds), len(owners), p=shares)
        factor = rng.integers(0, len(FACTORS), len(owners))
        for j, (owner, days_ago) in enumerate(zip(owners, opened, strict=True)):
            matter_rows.append(
                {
                    "matter_number": f"{prefix}{part}-{j + 1:07d}",
                    "kind": kinds[chosen[j]],
                    "member_number": numbers[owner],
                    "opened_on": (today - timedelta(days=int(max(days_ago, 0)))).isoformat(),
                    "factors": FACTORS[factor[j]],
                }
            )
    for member in fixed:
        member_rows.append(
            {
                "member_number": member.member_number,
                "name": member.name,
                "email": member.email,
                "language": member.language,
                "type_of_work": member.type_of_work,
                "province": member.province,
                "member_since": member.member_since.isoformat(),
            }
        )
        for k, (opened_on, kind) in enumerate(member.matters, 1):
            matter_rows.append(
                {
                    "matter_number": f"{member.member_number}-{k:02d}",
                    "kind": kind,
                    "member_number": member.member_number,
                    "opened_on": opened_on.isoformat(),
                    "factors": "",
                }
            )
    return Register(
        members=member_rows,
        matters=matter_rows,
        planted_high=numbers[:planted_high],
        planted_rising=numbers[planted_high : planted_high + planted_rising],
    )
