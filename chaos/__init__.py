"""A seeded workload under a seeded fault schedule, judged by an oracle that shares nothing with
the code (issue #33). So far: the workload and the schedule, drawn from a seed; the runner and
the oracle's new invariants come next."""
