"""Spiders: one per site, each a SiteSpider with its profile."""
