"""Delivering the outbox: one plan of steps per kind of message (plan.py), run against the
primitives and limits a surface implements (surface.py, runner.py, adapter.py)."""
