"""The program, the rules service's second subject: rule specs with their versions, the tiers,
and packs (the whole program as one YAML document). Laid out as the service is:
``repository``, ``pack`` (its format), ``handlers`` (changes), ``views`` (reads) and ``http``."""
