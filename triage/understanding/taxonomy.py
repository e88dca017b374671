"""The labels every message and report carries (DESIGN.md, "Triage taxonomy")."""

from enum import StrEnum


class Kind(StrEnum):
    HAZARD = "hazard"
    EMERGENCY = "emergency"
    QUESTION = "question"
    FEEDBACK = "feedback"
    OUT_OF_SCOPE = "out_of_scope"


class Category(StrEnum):
    FIRE_LANE = "fire_lane"
    EXIT_BLOCKED = "exit_blocked"
    EBIKE = "ebike"
    ELECTRICAL = "electrical"
    FIRE_EQUIPMENT = "fire_equipment"
    FLAMMABLES = "flammables"
    OPEN_FLAME = "open_flame"
    OCCUPANCY = "occupancy"
    OTHER = "other"


class Severity(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
