"""The three pointstream services; each owns its database."""
