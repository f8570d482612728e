"""Contextual risk: named factors, each with a reason a person can read, and the Assessor that
turns an event into an explained :class:`Alert`. Pure functions over the event."""

from bot.assess.assessor import Alert, Assessor, Offer, Risk, at_least, step
from bot.assess.factors import FACTORS, GENERIC, Factor, History, RiskContext, network_of

__all__ = [
    "FACTORS",
    "GENERIC",
    "Alert",
    "Assessor",
    "Factor",
    "History",
    "Offer",
    "Risk",
    "RiskContext",
    "at_least",
    "network_of",
    "step",
]
