"""Site profiles: one module per site (newscrawl/sites/<name>.py, defining
PROFILE), selectors in one place. Modules are found by themselves: adding a
site never edits this file."""

import importlib
import pkgutil

from newscrawl.sites.base import CommentSelectors, SiteProfile


def _discover() -> dict[str, SiteProfile]:
    profiles = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name == "base":
            continue
        profile = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PROFILE", None)
        if isinstance(profile, SiteProfile):
            profiles[profile.name] = profile
    return profiles


PROFILES = _discover()


def get_profile(name: str) -> SiteProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown site {name!r}; known: {', '.join(sorted(PROFILES))}") from None


__all__ = ["CommentSelectors", "SiteProfile", "PROFILES", "get_profile"]
