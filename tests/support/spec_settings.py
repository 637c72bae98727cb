"""What the tests ask of a spec component that farflow itself never needs."""

from __future__ import annotations

from farflow.spec import Component


def setting_names(component: Component) -> frozenset[str]:
    """The environment variable names of a component's settings."""
    return frozenset(setting.name for setting in component.settings)
