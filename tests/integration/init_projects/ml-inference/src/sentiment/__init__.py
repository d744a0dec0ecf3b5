"""A bag-of-words sentiment model: weights shipped with the package, mpmath standing in for torch."""

import json
from importlib import resources

import mpmath

WEIGHTS = json.loads(resources.files(__package__).joinpath("weights.json").read_text(encoding="utf-8"))


def score(text: str) -> float:
    """The probability that ``text`` is positive."""
    logit = WEIGHTS["bias"] + sum(WEIGHTS["words"].get(word, 0.0) for word in text.lower().split())
    return float(1 / (1 + mpmath.exp(-logit)))
