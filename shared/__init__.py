"""Contracts and plumbing shared by the pointstream services: never one service's domain logic."""
