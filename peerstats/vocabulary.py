"""The codebook's vocabulary in one place: each coded column's allowed values, in display order, with the words the
app shows for them. ``peerstats.data`` validates against these codes, ``peerstats.select`` filters by them and the
dashboard labels with them, so the three cannot drift apart. See ``data/README.md``.
"""

from __future__ import annotations

CATEGORIES: dict[str, str] = {
    "hospital_added": "Peers added to hospital services",
    "established_roles": "Peers in established roles",
    "independent": "Peers independent of hospital services",
    "online": "Peers online",
}
QUALITY: dict[str, str] = {"good": "Good", "fair": "Fair", "poor": "Poor"}
CONTROLS: dict[str, str] = {
    "tau": "Treatment as usual",
    "waitlist": "Waitlist",
    "active": "Active control",
    "tau_and_active": "TAU and active",
    "not_reported": "Not reported",
}
LEADERSHIP: dict[str, str] = {"peer_led": "Peer-led", "co_led": "Co-led", "unclear": "Unclear"}
FORMATS: dict[str, str] = {
    "one_to_one": "One-to-one",
    "group": "Group",
    "online": "Online",
    "mixed": "Mixed",
    "unclear": "Unclear",
}
PROVENANCE: dict[str, str] = {
    "reported": "Reported",
    "derived": "Derived",
    "reconstructed": "Reconstructed",
}
ROB_DOMAINS: dict[str, str] = {
    "rob_sequence_generation": "Sequence generation",
    "rob_allocation_concealment": "Allocation concealment",
    "rob_blinding_assessors": "Blinding of assessors",
    "rob_incomplete_data": "Incomplete outcome data",
    "rob_selective_reporting": "Selective reporting",
    "rob_power_calculation": "Power calculation",
    "rob_intent_to_treat": "Intention to treat",
}
ROB_LEVELS: dict[str, str] = {"low": "Low", "unclear": "Unclear", "high": "High"}
