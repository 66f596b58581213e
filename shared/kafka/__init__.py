"""Kafka plumbing: settings, topic creation, an idempotent producer and a consumer runtime."""
