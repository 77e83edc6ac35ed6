//! Shared workloads for retrojit's benchmarks.
