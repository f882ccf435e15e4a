"""Who calls: principals (apps, users, agents) and their API keys."""
