"""Fetching and extraction: spiders, site adapters, item pipelines and Scrapy settings."""
