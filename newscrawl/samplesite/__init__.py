"""A local copy of an Elaph-model site: generated content, served on 127.0.0.1.

Used by the tests and by `make demo`; no machine here reaches the real site.
"""

from newscrawl.samplesite.model import SiteModel, generate_site, reference_article
from newscrawl.samplesite.server import SampleSite

__all__ = ["SampleSite", "SiteModel", "generate_site", "reference_article"]
