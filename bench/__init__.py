"""Benchmarks of HealthPortal (not tests): `python -m bench --scale default|large|tiny`.

Every target is a ratio to a reference measured in the same run, or an invariant under load:
the machines are shared and noisy, absolute times mean little. See README "Benchmarks".
"""
