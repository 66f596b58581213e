"""What every service keeps of an erased member: a digest of their id and when, so that a
later event for them is refused instead of silently making them a member again.

The digest is SHA-256 of the member id: it cannot be read back into the id, only matched
against an id someone already has (a till sending an event for that member). Rows a service
keeps for its books (the ledger's entries, the rules' purchases) move to an *opaque key*,
``~`` and random hex: a member id cannot start with ``~``, so a key is never taken for one."""

# Modules: keys (the digest, the opaque key), model (a refusal, a status), table (the
# erased_members table and its queries), use_case (a service's erasure, once, and the
# consumers' part of it), cache (for the ingest API).
