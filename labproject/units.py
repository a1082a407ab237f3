"""The units the lab states memory in, defined once for the engine, the analysis and the charts."""

MIB = 2**20
# The smallest memory difference the lab reports: RSS moves in 4 KiB pages and a run's baseline wanders by
# about this much, so below it a peak is drawn and fitted as this floor (log axes cannot show zero).
MEMORY_FLOOR_MIB = 0.25
