"""Translated names of the assessment's enumerations, for forms and pages."""

from flask_babel import lazy_gettext as _l

from portal.assessment.models import FactorCategory, MatterKind, Position, Priority

MATTER_KINDS = {
    MatterKind.LEGAL_ACTION: _l("Legal actions"),
    MatterKind.COLLEGE_COMPLAINT: _l("Regulatory-college complaints"),
    MatterKind.HOSPITAL_MATTER: _l("Hospital matters"),
}

CATEGORIES = {
    FactorCategory.COMMUNICATION: _l("Communication"),
    FactorCategory.DOCUMENTATION: _l("Documentation"),
    FactorCategory.PROFESSIONALISM: _l("Professionalism"),
    FactorCategory.CLINICAL_KNOWLEDGE: _l("Clinical knowledge"),
    FactorCategory.OFFICE_SYSTEMS: _l("Office systems"),
    FactorCategory.WELLNESS: _l("Wellness"),
    FactorCategory.OTHER: _l("Other"),
}

PRIORITIES = {
    Priority.HIGH: _l("High priority"),
    Priority.MEDIUM: _l("Medium priority"),
    Priority.LOW: _l("Low priority"),
}

POSITIONS = {
    Position.AGREE: _l("I agree"),
    Position.AGREE_WITH_CONTEXT: _l("I agree, with context"),
    Position.DISAGREE: _l("I disagree"),
}

ALL = {
    "matter_kinds": MATTER_KINDS,
    "categories": CATEGORIES,
    "priorities": PRIORITIES,
    "positions": POSITIONS,
}
