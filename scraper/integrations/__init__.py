"""Adapters that put `scraper` inside other frameworks (Scrapy); each needs its extra installed."""
