"""Site profiles: one module per site, selectors in one place."""

from newscrawl.sites.base import CommentSelectors, SiteProfile
from newscrawl.sites.elaph import PROFILE as ELAPH

PROFILES = {p.name: p for p in (ELAPH,)}


def get_profile(name: str) -> SiteProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown site {name!r}; known: {', '.join(sorted(PROFILES))}") from None


__all__ = ["CommentSelectors", "SiteProfile", "PROFILES", "get_profile"]
