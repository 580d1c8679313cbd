"""Everything on top of the crawl: diff engine, alerts, scheduler daemon, CLI."""
