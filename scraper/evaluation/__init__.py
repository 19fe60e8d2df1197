"""Scoring scraper against benchmark truth and plain trafilatura, in-sample and held out by domain."""
