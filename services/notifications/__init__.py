"""The notification service: tells members what happened to their points."""
