"""The one error a malformed policy raises."""

from __future__ import annotations


class PolicyError(ValueError):
    """A policy AWS would reject (unknown operator, missing element); the message names what is wrong."""
