"""Demo data for make run and benchmarks, built only through the apps' public facades."""
