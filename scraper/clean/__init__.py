"""Cleaning one page: decode, parse, prune promo by rules, extract with trafilatura, filter promo
lines, metadata, and the never-lose guard.
"""

from scraper.clean.cleaner import CleanOptions, Cleaner, clean_html, clean_text

__all__ = ["CleanOptions", "Cleaner", "clean_html", "clean_text"]
