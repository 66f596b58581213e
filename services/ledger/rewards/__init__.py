"""Rewards and vouchers, the ledger's second subject: the catalogue, redeeming a reward for a
voucher, using and cancelling vouchers. Laid out as the ledger is: ``domain`` (the standard
library only), ``specs``, ``repository``, ``unit_of_work``, ``handlers`` and ``http``."""
