"""The event contract of design.md §3: envelope, event payloads and topic names."""
